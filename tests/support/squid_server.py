"""A throwaway Squid (Debian's `squid`) for tests: an HTTP-only forward
proxy on a free loopback port, with the stock rules of a firewall that
lets only HTTPS out, CONNECT allowed to one port (the "HTTPS port"; a test
cannot own 443) and nothing else; its own config, logs and pid file under
a temporary directory, never the system's instance. Squid 5 drops
Upgrade headers on plain HTTP by default (http_upgrade_request_protocols).

    with SquidServer(https_port=srv.https_port) as sq:
        sq.port, sq.access_log()
"""

import os
import shutil
import socket
import subprocess
import tempfile
import time

from lemonade_server import free_port

CONF = """\
http_port 127.0.0.1:{port}
acl SSL_ports port {https_port}
acl Safe_ports port {https_port}
acl CONNECT method CONNECT
http_access deny !Safe_ports
http_access deny CONNECT !SSL_ports
http_access allow localhost
http_access deny all
pid_filename {dir}/squid.pid
access_log stdio:{dir}/access.log
cache_log {dir}/cache.log
coredump_dir {dir}
netdb_filename none
cache deny all
cache_mem 8 MB
read_timeout 30 seconds
client_idle_pconn_timeout 30 seconds
shutdown_lifetime 0 seconds
"""


def available():
    return shutil.which("squid") is not None or os.path.exists("/usr/sbin/squid")


class SquidServer:
    def __init__(self, https_port):
        self.dir = tempfile.mkdtemp(prefix="squid-test-")
        os.chmod(self.dir, 0o777)  # squid started as root works as `proxy`
        self.port = free_port()
        self.conf = os.path.join(self.dir, "squid.conf")
        with open(self.conf, "w") as f:
            f.write(CONF.format(port=self.port, https_port=https_port, dir=self.dir))
        self.proc = None

    def __enter__(self):
        binary = shutil.which("squid") or "/usr/sbin/squid"
        self.proc = subprocess.Popen([binary, "-N", "-f", self.conf], cwd=self.dir,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.__exit__(None, None, None)
        raise RuntimeError("squid did not start:\n" + self.cache_log())

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def cache_log(self):
        try:
            return open(os.path.join(self.dir, "cache.log")).read()
        except OSError:
            return ""

    def access_log(self):
        try:
            return open(os.path.join(self.dir, "access.log")).read()
        except OSError:
            return ""

    def connect_status(self, host, port):
        """The status line Squid answers a CONNECT to host:port with."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        s.sendall(b"CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n" % (host.encode(), port, host.encode(), port))
        head = b""
        while b"\r\n" not in head:
            chunk = s.recv(4096)
            if not chunk:
                break
            head += chunk
        s.close()
        return head.split(b"\r\n", 1)[0].decode()
