"""Starting and stopping the servers the benchmarks compare: Lemonade
(a data directory of its own, plain IMAP on a free loopback port) and
Dovecot from Debian (passwd-file users with the same argon2id hashes,
Maildir). The workloads (run.py, mixed.py, resync.py, ...) import this
module; it imports none of them."""

import concurrent.futures
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


def wait_listening(port, proc, timeout=20):
    """Waits until port accepts connections (a TLS port: no greeting
    before the handshake)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nothing listening on port %d" % port)


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


def cpu_seconds(pid):
    """CPU time (user + system) of pid's process tree so far: each live
    process's own time plus what its reaped children used (cutime,
    cstime), so Dovecot's imap processes that ended during a run still
    count, in their master. Take the difference of two readings."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in process_tree(pid):
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            # After the command name: state is field 3; utime..cstime are 14..17.
            total += sum(int(x) for x in fields[11:15])
        except OSError:
            pass
    return total / ticks


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


def extra_options():
    """BENCH_LEMONADE_OPTIONS: more `-o key=value` settings for Lemonade,
    separated by spaces (e.g. "store.idle_connections=64"), to measure a
    setting's effect."""
    out = []
    for kv in os.environ.get("BENCH_LEMONADE_OPTIONS", "").split():
        out += ["-o", kv]
    return out


def server_env():
    """BENCH_LEMONADE_PRELOAD: a malloc to run Lemonade with (LD_PRELOAD),
    e.g. /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 or libmimalloc.so.2,
    to compare allocators by numbers."""
    env = dict(os.environ)
    preload = os.environ.get("BENCH_LEMONADE_PRELOAD")
    if preload:
        env["LD_PRELOAD"] = preload
    return env


class Lemonade:
    name = "lemonade"

    def __init__(self, binary, work, users, tls=False, names=None, jobs=1):
        """users accounts named user00, user01, ... (or the given names),
        made by `lemonade user add`, up to jobs of them at a time (each
        hashes its password with argon2id). tls=True also serves IMAP over
        TLS (imaps.listen) on self.tls_port, with the self-signed
        certificate Lemonade makes in DIR/tls."""
        self.binary, self.dir, self.port = binary, os.path.join(work, "lemonade"), free_port()
        self.tls_port = free_port() if tls else None
        names = list(names) if names is not None else ["user%02d" % i for i in range(users)]
        started = time.time()
        # The first one alone: it creates the data directory and its files.
        for name in names[:1]:
            self.add_user(name)
        if jobs <= 1:
            for name in names[1:]:
                self.add_user(name)
        else:
            with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
                list(pool.map(self.add_user, names[1:]))
        self.user_add_seconds = time.time() - started

    def add_user(self, name):
        # Concurrent `user add`s can fail with "database is locked" (SQLite
        # gives up on a write lock without waiting): those are retried.
        for attempt in range(50):
            out = subprocess.run([self.binary, "user", "add", name, "--data-dir", self.dir],
                                 input=(PASSWORD + "\n").encode(), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.PIPE)
            if out.returncode == 0:
                return
            if b"database is locked" not in out.stderr or self.user_exists(name):
                break
            time.sleep(0.05 * (1 + attempt % 5))
        raise RuntimeError("lemonade user add %s failed: %s" % (name, out.stderr.decode(errors="replace").strip()))

    def user_exists(self, name):
        try:
            db = sqlite3.connect(os.path.join(self.dir, "accounts.db"), timeout=30)
            return db.execute("SELECT 1 FROM users WHERE name = ?", (name,)).fetchone() is not None
        except sqlite3.Error:
            return False

    def hashes(self):
        db = sqlite3.connect(os.path.join(self.dir, "accounts.db"))
        return dict(db.execute("SELECT name, password_hash FROM users"))

    def start(self):
        imaps = "127.0.0.1:%d" % self.tls_port if self.tls_port else ""
        self.proc = subprocess.Popen([self.binary, "serve", "--data-dir", self.dir,
                                      "-o", "imap.listen=127.0.0.1:%d" % self.port, "-o", "imaps.listen=" + imaps, "-o", "submission.listen=", "-o", "submissions.listen=", "-o", "lmtp.listen=",
                                      "-o", "log.level=warn", "-o", "server.max_connections=20000",
                                      *extra_options()],
                                     stderr=open(os.path.join(self.dir, "bench.log"), "ab"), env=server_env())
        wait_greeting(self.port, self.proc)
        if self.tls_port:
            wait_listening(self.tls_port, self.proc)
        self.pid = self.proc.pid

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


class Dovecot:
    name = "dovecot"

    def __init__(self, work, hashes, tls=False, hibernate_timeout=None, imap_process_limit=None,
                 plain_passwords=False):
        """tls=True adds an imaps listener on self.tls_port with a
        self-signed P-256 certificate (the key type Lemonade makes) made
        by openssl; hibernate_timeout (e.g. "5s") sets
        imap_hibernate_timeout; imap_process_limit raises Dovecot's
        default of 1024 imap processes (one per logged-in connection).
        configure() changes them later, while the server is stopped."""
        self.dir, self.port = os.path.join(work, "dovecot"), free_port()
        self.tls_port = None
        home = os.path.join(self.dir, "home")
        os.makedirs(home)
        # Mail is owned by the dovecot system user (Dovecot refuses uid 0).
        vmail = pwd.getpwnam("dovecot")
        os.chown(home, vmail.pw_uid, vmail.pw_gid)
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            for user, h in sorted(hashes.items()):
                if plain_passwords:
                    # No hashing at all: Dovecot's best case for logins.
                    f.write("%s:{PLAIN}%s\n" % (user, PASSWORD))
                else:
                    # The same argon2id hash (m=19 MiB, t=2) Lemonade made:
                    # the two servers pay the same for a login.
                    f.write("%s:{ARGON2ID}%s\n" % (user, h))
        self.conf = os.path.join(self.dir, "dovecot.conf")
        self.configure(tls, hibernate_timeout, imap_process_limit)

    def make_cert(self):
        tls = os.path.join(self.dir, "tls")
        cert, key = os.path.join(tls, "cert.pem"), os.path.join(tls, "key.pem")
        if not os.path.exists(cert):
            os.makedirs(tls, exist_ok=True)
            subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                            "-nodes", "-keyout", key, "-out", cert, "-days", "30", "-subj", "/CN=localhost"],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return cert, key

    def configure(self, tls=False, hibernate_timeout=None, imap_process_limit=None):
        """Writes dovecot.conf; without arguments, the default setup
        (plain IMAP only, no hibernation)."""
        ssl = "ssl = no"
        imaps = "port = 0"
        if tls:
            cert, key = self.make_cert()
            self.tls_port = self.tls_port or free_port()
            ssl = "ssl = yes\nssl_cert = <%s\nssl_key = <%s" % (cert, key)
            imaps = "address = 127.0.0.1\n    port = %d\n    ssl = yes" % self.tls_port
        else:
            self.tls_port = None
        imap = []
        if imap_process_limit:
            imap.append("  process_limit = %d\n" % imap_process_limit)
        if hibernate_timeout:
            # IDLE sessions move to the imap-hibernate process after the
            # timeout. imap-hibernate (running as $default_internal_user)
            # hands a session back to an imap process through imap-master.
            imap.append("  unix_listener imap-master {\n    user = $default_internal_user\n  }\n")
        hibernate = ("imap_hibernate_timeout = %s\n" % hibernate_timeout) if hibernate_timeout else ""
        if imap:
            hibernate += "service imap {\n%s}\n" % "".join(imap)
        with open(self.conf, "w") as f:
            f.write(f"""
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
{ssl}
disable_plaintext_auth = no
auth_mechanisms = plain
first_valid_uid = 100
default_login_user = dovenull
default_internal_user = dovecot
default_process_limit = 5000
default_client_limit = 20000
# Dovecot's auth cache, as Lemonade has its verified-password cache
# (auth.cache_ttl): a reconnecting client skips argon2id on both.
auth_cache_size = 10M
auth_cache_ttl = 1 hour
auth_cache_negative_ttl = 0
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
# RFC 4978 COMPRESS=DEFLATE at level 6, as Lemonade offers it (clients
# that do not ask for it are unaffected).
protocol imap {{
  mail_plugins = $mail_plugins imap_zlib
}}
plugin {{
  imap_compress_deflate_level = 6
}}
# The idle test holds many connections per user; Lemonade has no such cap.
mail_max_userip_connections = 100000
{hibernate}service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    {imaps}
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
        if self.tls_port:
            wait_listening(self.tls_port, P())

    def stop(self):
        subprocess.run(["doveadm", "-c", self.conf, "stop"], check=False)
        for _ in range(100):
            if not os.path.exists("/proc/%d" % self.pid):
                return
            time.sleep(0.1)
