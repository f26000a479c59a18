"""The firewall binding on `lemonade proxy` (issue 17, docs/http-binding.md,
docs/proxy.md): IMAP over WebSocket and long polling on the proxy's
https.listen, in front of Debian's Dovecot. The proxy has no user
directory, so a binding's resume is checked against the password its
session logged in with.

- OPTIONS /imap offers both bindings; /submission and the key API are not
  there (404).
- Over WebSocket: the proxy's greeting (under TLS already: no STARTTLS),
  LOGIN to Dovecot through it, IDLE hearing another client's APPEND.
- A resumable session lost during IDLE: a resume with a wrong password is
  refused (404) and leaves it parked; with the right one, the EXISTS that
  came meanwhile arrives, once.
- Over long polling: LOGIN, a wrong password refused (404), SELECT,
  LOGOUT with Lemonade-End.
- Wrong passwords count as failed logins of the client's address: after
  auth.max_failures the address is locked out (429)."""

import argparse
import imaplib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from dovecot_server import Dovecot  # noqa: E402
from lemonade_server import free_port  # noqa: E402
from test_http_poll import Poll  # noqa: E402
from test_proxy import Proxy  # noqa: E402
from test_python_imaplib import expect  # noqa: E402
from test_websocket import Ws, https, idle_push  # noqa: E402
from test_websocket_resume import Resumable, append_other  # noqa: E402


class Where:
    """What the binding clients need to know of a server: here the proxy's
    HTTPS port and certificate, and the backend for the other client."""

    def __init__(self, px, https_port, backend_port):
        self.https_port = https_port
        self.cert = os.path.join(px.dir, "tls", "cert.pem")
        self.imap_port = backend_port


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    with Dovecot({"alice": "alice pw"}) as dc:
        m = imaplib.IMAP4("127.0.0.1", dc.imap_port)
        m.login("alice", "alice pw")
        m.append("INBOX", None, None, b"Subject: first\r\n\r\nhi\r\n")
        m.logout()
        port = free_port()
        px = Proxy(args.lemonade, "imap://127.0.0.1:%d" % dc.imap_port, options=("https.listen=127.0.0.1:%d" % port,))
        try:
            srv = Where(px, port, dc.imap_port)
            st, r, body = https(srv, "OPTIONS", "/imap")
            expect((st, [b["type"] for b in json.loads(body)["bindings"]]), (200, ["websocket", "poll"]),
                   "OPTIONS /imap on the proxy")
            expect(https(srv, "OPTIONS", "/submission")[0], 404, "no submission on the proxy")
            expect(https(srv, "GET", "/keys")[0], 404, "no device keys on the proxy")

            c = Ws(srv, "/imap", ["imap"])
            expect(c.line(), "* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID AUTH=PLAIN] Lemonade proxy ready",
                   "the proxy's greeting, under TLS already")
            c.send(b"a1 LOGIN alice \"alice pw\"\r\n")
            expect(c.until_tagged("a1")[-1].split(" ")[:2], ["a1", "OK"], "LOGIN to Dovecot through the binding")
            c.send(b"a2 SELECT INBOX\r\n")
            c.until_tagged("a2")
            idle_push(c, srv, "a3", 2)
            c.send(b"a4 LOGOUT\r\n")
            c.until_tagged("a4")

            r = Resumable(srv)
            r.line()
            r.send(b"b1 LOGIN alice \"alice pw\"\r\n")
            r.until_tagged("b1")
            r.send(b"b2 SELECT INBOX\r\nb3 IDLE\r\n")
            r.until_tagged("b2")
            expect(r.line(), "+ idling", "IDLE")
            r.kill()
            append_other(srv, b"Subject: while away\r\n\r\nhi\r\n")  # to Dovecot directly
            expect(r.refused(password="wrong"), 404, "a resume with another password")
            r.resume()
            expect(r.line(), "* 3 EXISTS", "the push after the resume, through the proxy")
            r.send(b"DONE\r\nb4 LOGOUT\r\n")
            r.until_tagged("b4")
            r.ws.sock.close()

            p = Poll(srv)
            expect(p.line().startswith("* OK [CAPABILITY IMAP4rev1 "), True, "the greeting over long polling")
            p.send(b"c1 LOGIN alice \"alice pw\"\r\n")
            p.login_as("alice", "alice pw")
            expect(p.until_tagged("c1")[-1].split(" ")[:2], ["c1", "OK"], "LOGIN over long polling")
            good = p.auth
            p.login_as("alice", "wrong")
            expect(p.get()[0], 404, "another password")
            p.auth = good
            p.send(b"c2 SELECT INBOX\r\n")
            expect([l for l in p.until_tagged("c2") if l.endswith("EXISTS")], ["* 3 EXISTS"], "SELECT")
            p.send(b"c3 LOGOUT\r\n")
            p.until_tagged("c3")
            while not p.end:
                p.get()

            # Wrong passwords count against the address, as failed logins
            # (auth.max_failures, 10): then the address is locked out.
            p = Poll(srv)
            p.line()
            p.send(b"d1 LOGIN alice \"alice pw\"\r\n")
            p.login_as("alice", "alice pw")
            p.until_tagged("d1")
            p.login_as("alice", "wrong")
            codes = [p.get()[0] for _ in range(10)]
            expect(codes[-1], 429, "locked out after failed logins: %r" % codes)
            expect(set(codes[:8]), {404}, "each a wrong password before: %r" % codes)
            log = px.log()
            expect("event=auth_failed protocol=https" in log, True, "the failures in the log")
            for binding in ("websocket", "poll"):
                expect(("binding=" + binding) in log, True, "sessions over %s in the log" % binding)
        finally:
            px.stop()
    print("ok")


if __name__ == "__main__":
    main()
