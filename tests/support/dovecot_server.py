"""Runs a throwaway Dovecot for tests that check themselves against it
(--dovecot): the same checks must pass there, or the test is wrong."""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

from lemonade_server import free_port


class Dovecot:
    """A throwaway Dovecot (Debian dovecot-imapd) on loopback with
    passwd-file users and Maildir, plain IMAP, as bench/run/run.py does.
    stop() and start() again keep its mail (a restart)."""

    def __init__(self, users, extra_conf=""):
        self.users = users
        self.extra_conf = extra_conf  # more dovecot.conf lines (a benchmark's settings)
        self.dir = tempfile.mkdtemp(prefix="lemonade-dovecot-")
        os.chmod(self.dir, 0o755)  # Dovecot's auth and mail processes run as other users
        self.imap_port = free_port()
        self.imaps_port = None  # plain IMAP only
        self.cert = None
        self.pid = None

    def start(self):
        if self.pid is None:
            self.setup()
        subprocess.run(["dovecot", "-c", self.conf], check=True)
        deadline = time.time() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.imap_port), timeout=1) as s:
                    if s.makefile("rb").readline().startswith(b"* OK"):
                        break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("dovecot did not start:\n" + self.log())
                time.sleep(0.05)
        with open(os.path.join(self.dir, "run", "master.pid")) as f:
            self.pid = int(f.read())
        return self

    def stop(self):
        subprocess.run(["doveadm", "-c", self.conf, "stop"], check=False,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            if not os.path.exists("/proc/%d" % self.pid):
                break
            time.sleep(0.1)

    def setup(self):
        vmail = pwd.getpwnam("dovecot")
        home = os.path.join(self.dir, "home")
        os.makedirs(home)
        os.chown(home, vmail.pw_uid, vmail.pw_gid)
        with open(os.path.join(self.dir, "passwd"), "w") as f:
            for user, pw in self.users.items():
                f.write("%s:{PLAIN}%s\n" % (user, pw))
        self.conf = os.path.join(self.dir, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(f"""base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {self.dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
default_login_user = dovenull
default_internal_user = dovecot
passdb {{
  driver = passwd-file
  args = {self.dir}/passwd
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={self.dir}/home/%u
}}
mail_location = maildir:~/Maildir
mail_max_userip_connections = 1000
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.imap_port}
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
{self.extra_conf}
""")

    def log(self):
        try:
            with open(os.path.join(self.dir, "dovecot.log")) as f:
                return f.read()
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if exc[0] is not None:
            print("---- dovecot log ----\n" + self.log()[-1500:])
        if self.pid:
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
