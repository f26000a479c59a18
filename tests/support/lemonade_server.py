"""Start and stop a Lemonade server for tests: a fresh data directory,
free loopback ports, users created with `lemonade user add`.

    with LemonadeServer(binary, users={"alice": "pw"}) as srv:
        srv.imap_port, srv.imaps_port, srv.data_dir, srv.cert
"""

import base64
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LemonadeServer:
    def __init__(self, binary, users=None, options=None, data_dir=None, proxies=None):
        self.binary = os.path.abspath(binary)
        self.users = users or {}
        self.proxies = list(proxies or [])  # (user, label, password[, allowances])
        self.options = list(options or [])
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="lemonade-test-")
        self.proc = None
        self.log_path = os.path.join(self.data_dir, "server.log")
        self.imap_port = None
        self.imaps_port = None
        self.submission_port = None
        self.submissions_port = None
        self.lmtp_port = None

    @property
    def cert(self):
        return os.path.join(self.data_dir, "tls", "cert.pem")

    def add_user(self, name, password):
        subprocess.run([self.binary, "user", "add", name, "--data-dir", self.data_dir],
                       input=(password + "\n").encode(), check=True,
                       stdout=subprocess.DEVNULL)

    def add_proxy(self, name, label, password, allow=""):
        """`lemonade user proxy add`: NAME+LABEL logs in to NAME's account."""
        args = [self.binary, "user", "proxy", "add", name, "--label", label, "--data-dir", self.data_dir]
        if allow:
            args += ["--allow", allow]
        subprocess.run(args, input=(password + "\n").encode(), check=True, stdout=subprocess.DEVNULL)

    def key(self, *args):
        """`lemonade key ARGS...`: (exit code, stdout + stderr)."""
        out = subprocess.run([self.binary, "key", *args, "--data-dir", self.data_dir], capture_output=True, text=True)
        return out.returncode, out.stdout + out.stderr

    def add_key(self, name, device):
        """`lemonade key add`: (key id in hex, secret octets)."""
        code, out = self.key("add", name, device)
        assert code == 0, out
        words = out.split()  # key ID device NAME secret BASE64
        return words[1], base64.b64decode(words[5])

    def start(self):
        for name, pw in self.users.items():
            self.add_user(name, pw)
        self.users = {}
        for proxy in self.proxies:
            self.add_proxy(*proxy)
        self.proxies = []
        for attempt in range(5):
            self.imap_port, self.imaps_port = free_port(), free_port()
            self.submission_port, self.submissions_port = free_port(), free_port()
            self.lmtp_port = free_port()
            self.https_port = free_port()
            args = [self.binary, "serve", "--data-dir", self.data_dir,
                    "-o", f"imap.listen=127.0.0.1:{self.imap_port}",
                    "-o", f"imaps.listen=127.0.0.1:{self.imaps_port}",
                    "-o", f"submission.listen=127.0.0.1:{self.submission_port}",
                    "-o", f"submissions.listen=127.0.0.1:{self.submissions_port}",
                    "-o", f"lmtp.listen=127.0.0.1:{self.lmtp_port}",
                    "-o", f"https.listen=127.0.0.1:{self.https_port}",
                    "-o", "log.level=info"]
            for o in self.options:
                args += ["-o", o]
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(args, stdout=log, stderr=log)
            log.close()
            if self._wait_ready():
                return self
            self.proc.kill()
            self.proc.wait()
        raise RuntimeError("server did not start:\n" + self.log())

    def _wait_ready(self):
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", self.imap_port), timeout=1) as s:
                    if s.makefile("rb").readline().startswith(b"* OK"):
                        return True
            except OSError:
                time.sleep(0.05)
        return False

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("server ignored SIGTERM")
        return self.proc.returncode if self.proc else None

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def close(self):
        """stop(), then remove the data directory this object made."""
        self.__exit__(None, None, None)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        try:
            self.stop()
        finally:
            if exc[0] is not None:
                print("---- server log ----\n" + self.log()[-8000:])
            if self.own_dir:
                shutil.rmtree(self.data_dir, ignore_errors=True)
