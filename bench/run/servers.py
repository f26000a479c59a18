"""Starting and stopping the servers the benchmarks compare: Lemonade
(a data directory of its own, plain IMAP on a free loopback port) and
Dovecot from Debian (passwd-file users with the same argon2id hashes,
Maildir). The workloads (run.py, mixed.py, resync.py, ...) import this
module; it imports none of them."""

import os
import pwd
import signal
import socket
import sqlite3
import subprocess
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PASSWORD = "bench-pass"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_greeting(port, proc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                if s.makefile("rb").readline().startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("no greeting on port %d" % port)


def process_tree(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        except OSError:
            pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def rss_kb(pid):
    total = 0
    for p in process_tree(pid):
        try:
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


class Lemonade:
    name = "lemonade"

    def __init__(self, binary, work, users):
        self.binary, self.dir, self.port = binary, os.path.join(work, "lemonade"), free_port()
        for i in range(users):
            subprocess.run([binary, "user", "add", "user%02d" % i, "--data-dir", self.dir],
                           input=(PASSWORD + "\n").encode(), check=True, stdout=subprocess.DEVNULL)

    def hashes(self):
        db = sqlite3.connect(os.path.join(self.dir, "accounts.db"))
        return dict(db.execute("SELECT name, password_hash FROM users"))

    def start(self):
        self.proc = subprocess.Popen([self.binary, "serve", "--data-dir", self.dir,
                                      "-o", "imap.listen=127.0.0.1:%d" % self.port, "-o", "imaps.listen=",
                                      "-o", "log.level=warn", "-o", "server.max_connections=20000"],
                                     stderr=open(os.path.join(self.dir, "bench.log"), "ab"))
        wait_greeting(self.port, self.proc)
        self.pid = self.proc.pid

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


class Dovecot:
    name = "dovecot"

    def __init__(self, work, hashes):
        self.dir, self.port = os.path.join(work, "dovecot"), free_port()
        home = os.path.join(self.dir, "home")
        os.makedirs(home)
        # Mail is owned by the dovecot system user (Dovecot refuses uid 0).
        vmail = pwd.getpwnam("dovecot")
        os.chown(home, vmail.pw_uid, vmail.pw_gid)
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            for user, h in sorted(hashes.items()):
                # The same argon2id hash (m=19 MiB, t=2) Lemonade made: the
                # two servers pay the same for a login.
                f.write("%s:{ARGON2ID}%s\n" % (user, h))
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(f"""
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 100
default_login_user = dovenull
default_internal_user = dovecot
default_process_limit = 5000
default_client_limit = 20000
passdb {{
  driver = passwd-file
  args = {self.dir}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={self.dir}/home/%u
}}
mail_location = maildir:~/Maildir
mail_fsync = optimized
# The idle test holds many connections per user; Lemonade has no such cap.
mail_max_userip_connections = 100000
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0600
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""")

    def start(self):
        subprocess.run(["dovecot", "-c", self.conf], check=True)
        pidfile = os.path.join(self.dir, "run", "master.pid")
        for _ in range(200):
            if os.path.exists(pidfile) and os.path.getsize(pidfile) > 0:
                break
            time.sleep(0.05)
        with open(pidfile) as f:
            self.pid = int(f.read())

        class P:
            def poll(self_inner):
                return None
        wait_greeting(self.port, P())

    def stop(self):
        subprocess.run(["doveadm", "-c", self.conf, "stop"], check=False)
        for _ in range(100):
            if not os.path.exists("/proc/%d" % self.pid):
                return
            time.sleep(0.1)
