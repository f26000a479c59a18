"""`lemonade proxy` (issue 17, first step; src/proxy/proxy.hpp) in front
of a Lemonade store, driven by Python's imaplib and our client library:

- Before login the proxy answers CAPABILITY, NOOP, LOGOUT, STARTTLS and
  the logins itself, and refuses anything else with BAD.
- LOGIN (a literal password too) and AUTHENTICATE PLAIN (SASL-IR and
  not, "=" and "*" handled) log in to the backend
  with the client's credentials; the tagged OK carries the backend's
  capabilities less STARTTLS, LOGINDISABLED, SASL-IR and AUTH=.
- A wrong password is the backend's NO; the third ends the connection.
- After login octets go through untouched: SELECT, APPEND, FETCH, IDLE
  with a message arriving from elsewhere, and a proxy identity's
  XENCRYPTED session whose objects the client opens.
- STARTTLS and implicit TLS toward the client; with auth.plaintext =
  never, LOGINDISABLED and no password taken in the clear; imap:// to
  another host refused; a backend that cannot be reached is
  NO [UNAVAILABLE]; a backend that goes away is * BYE [UNAVAILABLE] and
  the end of the client's connection; no password in the proxy's log."""

import argparse
import imaplib
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
sys.path.insert(0, HERE)
import lemonade_client as lc  # noqa: E402
from lemonade_server import LemonadeServer, free_port  # noqa: E402
from test_python_imaplib import expect  # noqa: E402


class Proxy:
    def __init__(self, binary, backend, options=(), data_dir=None):
        # data_dir: a restart keeps its state (the CONDSTORE cache).
        self.dir = data_dir or tempfile.mkdtemp(prefix="lemonade-proxy-")
        self.port, self.tls_port = free_port(), free_port()
        self.log_path = os.path.join(self.dir, "proxy.log")
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([binary, "proxy", "--backend", backend, "--data-dir", self.dir,
                                      "-o", "proxy.listen=127.0.0.1:%d" % self.port,
                                      "-o", "proxy.tls_listen=127.0.0.1:%d" % self.tls_port,
                                      "-o", "proxy.connect_timeout=5", "-o", "log.level=info",
                                      *[a for o in options for a in ("-o", o)]],
                                     stdout=log, stderr=log)
        log.close()
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("proxy did not start:\n" + self.log())

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=15)


def raw(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    f = s.makefile("rb")
    return s, f


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    with LemonadeServer(args.lemonade, users={"alice": "alice pw"},
                        proxies=[("alice", "phone", "relay pw")]) as srv:
        px = Proxy(args.lemonade, "imap://127.0.0.1:%d" % srv.imap_port)
        try:
            # Before login.
            s, f = raw(px.port)
            greeting = f.readline()
            expect(greeting, b"* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID STARTTLS AUTH=PLAIN] Lemonade proxy ready\r\n",
                   "the greeting")
            s.sendall(b"a1 SELECT INBOX\r\na2 NOOP\r\n")
            expect(f.readline().startswith(b"a1 BAD Log in first"), True, "nothing else before login")
            expect(f.readline(), b"a2 OK NOOP completed\r\n", "NOOP")
            # LOGIN with a literal for the password.
            s.sendall(b"a3 LOGIN alice {8}\r\n")
            expect(f.readline(), b"+ Ready for literal data\r\n", "a synchronizing literal")
            s.sendall(b"alice pw\r\n")
            ok = f.readline()
            expect(ok.startswith(b"a3 OK [CAPABILITY IMAP4rev1 "), True, "logged in: %r" % ok)
            caps = ok.decode().split("[CAPABILITY ")[1].split("]")[0].split()
            expect(("IDLE" in caps, "CONDSTORE" in caps, "STARTTLS" in caps, any(c.startswith("AUTH=") for c in caps)),
                   (True, True, False, False), "the backend's capabilities, less the proxy's own business")
            s.sendall(b"a4 SELECT INBOX\r\n")
            lines = []
            while not lines or not lines[-1].startswith(b"a4 "):
                lines.append(f.readline())
            expect(lines[-1].startswith(b"a4 OK [READ-WRITE]"), True, "SELECT through the proxy")
            # IDLE: a message APPENDed straight to the store shows up.
            s.sendall(b"a5 IDLE\r\n")
            expect(f.readline().startswith(b"+ "), True, "idling")
            direct = imaplib.IMAP4("127.0.0.1", srv.imap_port)
            direct.login("alice", "alice pw")
            direct.append("INBOX", None, None, b"From: bob@example.org\r\nSubject: hi\r\n\r\nproxied marker\r\n")
            direct.logout()
            expect(f.readline(), b"* 1 EXISTS\r\n", "the new message, pushed through the proxy")
            s.sendall(b"DONE\r\n")
            line = f.readline()
            while line.startswith(b"* "):
                line = f.readline()
            expect(line.startswith(b"a5 OK"), True, "IDLE done: %r" % line)
            s.sendall(b"a6 FETCH 1 BODY.PEEK[TEXT]\r\n")
            expect(f.readline(), b"* 1 FETCH (BODY[TEXT] {16}\r\n", "a literal through the proxy")
            expect(f.read(16), b"proxied marker\r\n", "its octets")
            s.close()

            # imaplib: AUTHENTICATE PLAIN, a wrong password, three of them.
            c = imaplib.IMAP4("127.0.0.1", px.port)
            c.authenticate("PLAIN", lambda _: b"\0alice\0alice pw")
            typ, data = c.select("INBOX")
            expect((typ, data), ("OK", [b"1"]), "AUTHENTICATE PLAIN, then SELECT")
            c.logout()
            s, f = raw(px.port)
            f.readline()
            s.sendall(b"b1 AUTHENTICATE PLAIN\r\n")
            expect(f.readline(), b"+ \r\n", "AUTHENTICATE without an initial response")
            s.sendall(b"AGFsaWNlAGFsaWNlIHB3\r\n")  # \0alice\0alice pw
            expect(f.readline().startswith(b"b1 OK [CAPABILITY "), True, "logged in")
            s.close()
            # LITERAL+ (RFC 7888), as the greeting says: no continuation.
            s, f = raw(px.port)
            f.readline()
            s.sendall(b"b0 LOGIN alice {8+}\r\nalice pw\r\n")
            expect(f.readline().startswith(b"b0 OK [CAPABILITY "), True, "a non-synchronizing literal")
            s.close()
            # SASL-IR (RFC 4959): the response on the command line; "=" is
            # an empty one (no PLAIN response), "*" cancels.
            s, f = raw(px.port)
            f.readline()
            s.sendall(b"b2 AUTHENTICATE PLAIN =\r\n")
            expect(f.readline(), b"b2 BAD Not a PLAIN response\r\n", "an empty initial response")
            s.sendall(b"b3 AUTHENTICATE PLAIN\r\n")
            f.readline()
            s.sendall(b"*\r\n")
            expect(f.readline(), b"b3 BAD Authentication cancelled\r\n", "cancelled")
            s.sendall(b"b4 AUTHENTICATE PLAIN AGFsaWNlAGFsaWNlIHB3\r\n")
            expect(f.readline().startswith(b"b4 OK [CAPABILITY "), True, "SASL-IR")
            # LOGOUT: the backend's BYE and OK, then the end, with no BYE
            # of the proxy's after them.
            s.sendall(b"b5 LOGOUT\r\n")
            lines = f.read().split(b"\r\n")
            expect((len(lines), lines[0].startswith(b"* BYE "), lines[1], lines[2]),
                   (3, True, b"b5 OK LOGOUT completed", b""), "LOGOUT through the proxy: %r" % lines)
            s.close()
            s, f = raw(px.port)
            f.readline()
            for i in range(3):
                s.sendall(b"w%d LOGIN alice wrong\r\n" % i)
                expect(f.readline(), b"w%d NO [AUTHENTICATIONFAILED] Authentication failed\r\n" % i,
                       "the backend's NO")
            expect(f.readline(), b"* BYE Too many failed logins\r\n", "the third ends it")
            expect(f.readline(), b"", "and the connection closes")
            s.close()

            # TLS toward the client: STARTTLS and implicit.
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            c = imaplib.IMAP4("127.0.0.1", px.port)
            c.starttls(ssl_context=ctx)
            expect("STARTTLS" in c.capabilities, False, "no STARTTLS once TLS is on")
            c.login("alice", "alice pw")
            expect(c.select("INBOX")[0], "OK", "over STARTTLS")
            c.logout()
            c = imaplib.IMAP4_SSL("127.0.0.1", px.tls_port, ssl_context=ctx)
            c.login("alice", "alice pw")
            expect(c.select("INBOX")[0], "OK", "over implicit TLS")
            c.logout()

            # A proxy identity's encrypted session passes through untouched.
            key_id, key = srv.add_key("alice", "phone")
            conn = lc.Connection("127.0.0.1", px.port)
            conn.login("alice+phone", "relay pw")
            x = lc.Xenc(conn, "alice", key_id, key)
            x.start()
            x.select("INBOX")
            got = x.fetch("1", "(BODY.PEEK[TEXT])")
            expect(got[1]["BODY[TEXT]"], b"proxied marker\r\n", "an encrypted FETCH through the proxy, opened")
            conn.close()
            expect("alice pw" in px.log() or "relay pw" in px.log(), False, "no password in the proxy's log")

            # SIGTERM: a relayed session is closed (its octets may be
            # compressed end to end: no BYE of the proxy's), and the
            # proxy exits; it starts again for what follows.
            s, f = raw(px.port)
            f.readline()
            s.sendall(b"t1 LOGIN alice \"alice pw\"\r\nt2 SELECT INBOX\r\nt3 IDLE\r\n")
            line = f.readline()
            while not line.startswith(b"+ "):
                line = f.readline()
            px.proc.send_signal(signal.SIGTERM)
            expect(f.read(), b"", "SIGTERM closes a relayed session")
            expect(px.proc.wait(timeout=15), 0, "the proxy exits")
            s.close()
            px = Proxy(args.lemonade, "imap://127.0.0.1:%d" % srv.imap_port)

            # The backend goes away: the client's connection ends.
            s, f = raw(px.port)
            f.readline()
            s.sendall(b"c1 LOGIN alice \"alice pw\"\r\n")
            expect(f.readline().startswith(b"c1 OK "), True, "logged in")
            srv.kill9()
            s.settimeout(10)
            rest = b""
            try:
                while True:
                    chunk = s.recv(4096)
                    if not chunk:
                        break
                    rest += chunk
            except OSError:
                rest = None
            expect(rest, b"* BYE [UNAVAILABLE] The mail server closed the connection\r\n",
                   "the client hears why, and the connection closes")
            s.close()
        finally:
            px.stop()

    # A backend that cannot be reached: NO [UNAVAILABLE] at login.
    px = Proxy(args.lemonade, "imap://127.0.0.1:%d" % free_port())
    try:
        c = imaplib.IMAP4("127.0.0.1", px.port)
        try:
            c.login("alice", "alice pw")
            raise AssertionError("a login with no backend succeeded")
        except imaplib.IMAP4.error as e:
            expect(str(e), "b'[UNAVAILABLE] The mail server is not reachable; try again later'", "no backend")
        c.logout()
    finally:
        px.stop()

    # No plaintext logins without TLS (auth.plaintext = never): the
    # password is refused before it is sent.
    px = Proxy(args.lemonade, "imap://127.0.0.1:%d" % free_port(), ["auth.plaintext=never"])
    try:
        s, f = raw(px.port)
        expect(f.readline(), b"* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID STARTTLS LOGINDISABLED] Lemonade proxy ready\r\n",
               "LOGINDISABLED")
        s.sendall(b"d1 LOGIN alice x\r\nd2 AUTHENTICATE PLAIN\r\n")
        expect(f.readline(), b"d1 NO [PRIVACYREQUIRED] Plaintext authentication is disabled here; use STARTTLS\r\n",
               "LOGIN refused")
        expect(f.readline(), b"d2 NO [PRIVACYREQUIRED] Plaintext authentication is disabled here; use STARTTLS\r\n",
               "AUTHENTICATE refused before any continuation")
        s.close()
    finally:
        px.stop()

    # imap:// to another host would carry passwords in the clear.
    out = subprocess.run([args.lemonade, "proxy", "--backend", "imap://mail.example.org:143", "--data-dir",
                          tempfile.mkdtemp(prefix="lemonade-proxy-"), "-o", "proxy.listen=127.0.0.1:%d" % free_port()],
                         capture_output=True, text=True, timeout=30)
    expect((out.returncode, "use imaps:// for a backend on another host" in out.stderr), (2, True),
           "imap:// to another host refused: " + out.stderr)
    print("ok")


if __name__ == "__main__":
    main()
