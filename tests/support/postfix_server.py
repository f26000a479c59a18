"""A throwaway Postfix (Debian's `postfix`) for tests: its own config and
queue directories under a temporary directory, one smtpd on a free
loopback port, nothing chrooted, logging to a file (postlogd), never the
system's instance.

    with PostfixServer(lmtp="inet:127.0.0.1:1024") as pf:
        pf.smtp_port, pf.maildir("bob"), pf.log()

Mail for `lemonade.test` goes to Lemonade over LMTP (local(8) with
mailbox_transport, as in a real deployment: `lmtp:unix:/path` or
`lmtp:inet:host:port`); mail for `remote.test` (and the other `domains`) is stored by virtual(8)
in Maildirs under mail/<user>/, so a test can read what arrived byte for
byte. Postfix runs as root here (its master must), the installed package
only supplies the programs; the system's Postfix is left alone."""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time

from lemonade_server import free_port

MASTER_CF = """\
127.0.0.1:{port} inet n - n - - smtpd
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 1 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
local     unix  - n n - - local
virtual   unix  - n n - - virtual
lmtp      unix  - - n - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def available():
    return shutil.which("postfix") is not None or os.path.exists("/usr/sbin/postfix")


class PostfixServer:
    def __init__(self, lmtp=None, remote_users=("bob", "carol"), tls_cert=None, tls_key=None, domains=("remote.test",)):
        self.dir = tempfile.mkdtemp(prefix="postfix-test-")
        self.smtp_port = free_port()
        self.lmtp = lmtp
        self.remote_users = remote_users
        self.domains = domains
        self.tls_cert, self.tls_key = tls_cert, tls_key
        os.chmod(self.dir, 0o755)  # postfix's own processes pass through
        self.etc = os.path.join(self.dir, "etc")
        self.mail_dir = os.path.join(self.dir, "mail")
        self.log_path = os.path.join(self.dir, "maillog")

    def _postfix(self, *args, check=True):
        return subprocess.run(["/usr/sbin/postfix", "-c", self.etc, *args], capture_output=True, text=True,
                              check=check)

    def start(self):
        os.makedirs(self.etc)
        os.makedirs(os.path.join(self.dir, "queue"))
        os.makedirs(os.path.join(self.dir, "data"))
        pw = pwd.getpwnam("postfix")
        os.chown(os.path.join(self.dir, "data"), pw.pw_uid, pw.pw_gid)
        os.makedirs(self.mail_dir)
        # virtual(8) delivers as nobody.
        os.chown(self.mail_dir, 65534, 65534)
        # user@<first domain> in mail/user/, user@<other domain> in mail/user@domain/.
        vmap = ", ".join("%s@%s=%s/" % (u, d, u if i == 0 else u + "@" + d)
                         for i, d in enumerate(self.domains) for u in self.remote_users)
        main = [
            "compatibility_level = 3.6",
            "queue_directory = %s/queue" % self.dir,
            "data_directory = %s/data" % self.dir,
            "maillog_file = %s" % self.log_path,
            "maillog_file_prefixes = %s" % self.dir,
            "myhostname = postfix.test",
            "mydomain = postfix.test",
            "myorigin = postfix.test",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "mynetworks = 127.0.0.0/8",
            "smtpd_banner = $myhostname ESMTP",
            "biff = no",
            "append_dot_mydomain = no",
            "smtp_dns_support_level = disabled",
            "lmtp_dns_support_level = disabled",
            # Lemonade's accounts: local(8) hands every recipient to LMTP.
            "mydestination = lemonade.test",
            "local_recipient_maps =",
            "alias_maps =",
            "alias_database =",
            "mailbox_transport = lmtp:%s" % (self.lmtp or "inet:127.0.0.1:1"),
            # The "remote" domain: Maildirs the test reads.
            "virtual_mailbox_domains = " + ", ".join(self.domains),
            "virtual_mailbox_base = %s" % self.mail_dir,
            "virtual_mailbox_maps = inline:{%s}" % vmap,
            "virtual_uid_maps = static:65534",
            "virtual_gid_maps = static:65534",
            "virtual_minimum_uid = 100",
            "smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination",
            "queue_run_delay = 1s",
            "minimal_backoff_time = 1s",
            "maximal_backoff_time = 2s",
        ]
        if self.tls_cert:
            main += ["smtpd_tls_cert_file = %s" % self.tls_cert, "smtpd_tls_key_file = %s" % self.tls_key,
                     "smtpd_tls_security_level = may"]
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write("\n".join(main) + "\n")
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(port=self.smtp_port))
        r = self._postfix("start", check=False)
        if r.returncode != 0:
            raise RuntimeError("postfix did not start: %s%s\n%s" % (r.stdout, r.stderr, self.log()))
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.smtp_port), timeout=1) as s:
                    if s.makefile("rb").readline().startswith(b"220"):
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("postfix smtpd did not answer:\n" + self.log())

    def add_main(self, lines):
        """Adds main.cf lines and reloads (the running daemons pick them
        up as they restart; qmgr and the delivery agents at once)."""
        with open(os.path.join(self.etc, "main.cf"), "a") as f:
            f.write("\n".join(lines) + "\n")
        self._postfix("reload")
        time.sleep(1.5)

    def stop(self, keep=False):
        """Stops the instance and, unless keep, removes its directory."""
        self._postfix("stop", check=False)
        # The master leaves within a second or two; wait for its pid file.
        pid = os.path.join(self.dir, "queue", "pid", "master.pid")
        deadline = time.time() + 10
        while time.time() < deadline and os.path.exists(pid):
            time.sleep(0.1)
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    def maildir(self, user):
        """The messages in a Maildir ("bob" for bob@remote.test, "bob@other.test" for another domain), oldest first."""
        files = glob.glob(os.path.join(self.mail_dir, user, "new", "*"))
        files += glob.glob(os.path.join(self.mail_dir, user, "cur", "*"))
        files.sort(key=os.path.getmtime)
        out = []
        for p in files:
            with open(p, "rb") as f:
                out.append(f.read())
        return out

    def wait_maildir(self, user, count, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            got = self.maildir(user)
            if len(got) >= count:
                return got
            time.sleep(0.1)
        return self.maildir(user)

    def queue(self):
        """`postqueue -p`: what waits in this Postfix's queue."""
        return subprocess.run(["/usr/sbin/postqueue", "-c", self.etc, "-p"], capture_output=True,
                              text=True).stdout

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop(keep=True)
        if exc[0] is not None:
            print(self.log()[-4000:])
        shutil.rmtree(self.dir, ignore_errors=True)
