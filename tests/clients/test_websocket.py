"""IMAP and submission over WebSocket on the HTTPS listener (issue 17,
docs/http-binding.md), driven by websocket-client (Debian's
python3-websocket), a WebSocket implementation we did not write.

- OPTIONS /imap describes the binding; a GET without Upgrade gets 426.
- RFC 6455 §4.2.2: the server selects the subprotocol the client offered
  ("imap"); offering only another one is refused (400).
- The session is the IMAP server's own, under the listener's TLS: no
  STARTTLS, LOGIN allowed. Octets split across frames anywhere (inside a
  line, inside a 5 MB literal) make the same commands; FETCH returns the
  5 MB message byte-exact, IDLE hears another client's APPEND, LOGOUT ends
  with close code 1000.
- A text frame gets close code 1003 (RFC 6455 §7.4.1) and ends the session.
- Submission at /submission: EHLO without STARTTLS, AUTH, a message that
  arrives in the recipient's INBOX.
- IDLE over the binding sends no "* OK Still here" (the binding's pings
  keep the path); plain IDLE still does.
- https.bindings = [] turns the bindings off (404)."""

import argparse
import http.client
import imaplib
import json
import os
import random
import re
import socket
import ssl
import struct
import sys
import time

import websocket

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from lemonade_server import LemonadeServer  # noqa: E402
from test_python_imaplib import expect  # noqa: E402


def via(proxy_port):
    """websocket-client's options for a connection through an HTTP proxy
    (CONNECT), or none."""
    if proxy_port is None:
        return {}
    # websocket-client goes direct to 127.0.0.1 and localhost unless told
    # of other hosts to go direct to.
    return {"http_proxy_host": "127.0.0.1", "http_proxy_port": proxy_port, "proxy_type": "http",
            "http_no_proxy": ["direct.invalid"]}


class Ws:
    """A protocol session over one WebSocket: bytes in, bytes out."""

    def __init__(self, srv, path, subprotocols, proxy_port=None):
        self.ws = websocket.create_connection(
            "wss://127.0.0.1:%d%s" % (srv.https_port, path), timeout=30,
            sslopt={"ca_certs": srv.cert, "check_hostname": False}, subprotocols=subprotocols,
            **via(proxy_port))
        self.buf = b""
        self.closed = None  # (code, reason) once the server closed

    def send(self, data, pieces=1):
        """Sends data in `pieces` binary frames cut at random places."""
        cuts = sorted(random.sample(range(1, len(data)), pieces - 1)) if pieces > 1 else []
        at = 0
        for cut in cuts + [len(data)]:
            self.ws.send_binary(data[at:cut])
            at = cut

    def fill(self):
        op, frame = self.ws.recv_data_frame()
        if op == websocket.ABNF.OPCODE_CLOSE:
            code = struct.unpack("!H", frame.data[:2])[0] if len(frame.data) >= 2 else None
            self.closed = (code, frame.data[2:].decode())
            raise EOFError("closed %r" % (self.closed,))
        expect(op, websocket.ABNF.OPCODE_BINARY, "the server sends binary frames")
        self.buf += frame.data

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line.decode()

    def exactly(self, n):
        while len(self.buf) < n:
            self.fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def until_tagged(self, tag):
        lines = []
        while True:
            line = self.line()
            lines.append(line)
            if line.startswith(tag + " "):
                return lines

    def wait_closed(self):
        try:
            while True:
                self.fill()
        except EOFError:
            pass
        return self.closed


def idle_push(c, srv, tag, exists):
    """IDLE on session c hears, within seconds, another client's APPEND to
    alice's INBOX as `* <exists> EXISTS`."""
    c.send(tag.encode() + b" IDLE\r\n")
    expect(c.line(), "+ idling", "IDLE continuation")
    other = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    other.login("alice", "alice pw")
    other.append("INBOX", None, None, b"Subject: small\r\n\r\nhi\r\n")
    other.logout()
    start = time.monotonic()
    expect(c.line(), "* %d EXISTS" % exists, "IDLE: the new message")
    expect(time.monotonic() - start < 5, True, "within seconds")
    c.send(b"DONE\r\n")
    c.until_tagged(tag)


def sessions_ended(srv):
    """(IMAP sessions over WebSocket, those of them not yet ended), once all
    ended or after 10 s."""
    for _ in range(100):
        log = open(srv.log_path).read()
        opened = set(re.findall(r"conn=(\d+) event=connect .*binding=websocket", log))
        ended = set(re.findall(r"conn=(\d+) event=disconnect", log))
        if opened <= ended:
            break
        time.sleep(0.1)
    return len(opened), opened - ended


def https(srv, method, path, headers=None):
    ctx = ssl.create_default_context(cafile=srv.cert)
    ctx.check_hostname = False
    c = http.client.HTTPSConnection("127.0.0.1", srv.https_port, context=ctx, timeout=30)
    c.request(method, path, headers=headers or {})
    r = c.getresponse()
    body = r.read()
    c.close()
    return r.status, r, body


def imap_binding(srv):
    st, r, body = https(srv, "OPTIONS", "/imap")
    expect((st, r.getheader("Allow"), json.loads(body)),
           (200, "GET, POST, DELETE, OPTIONS",
            {"protocol": "imap", "bindings": [
                {"type": "websocket", "subprotocol": "imap", "frames": "binary", "resumable": True,
                 "keepalive_ms": 1680000, "window": 1048576, "grace": 1800},
                {"type": "poll", "hold_ms": 25000, "hold_max_ms": 110000, "answer_max": 262144,
                 "window": 1048576, "grace": 1800}]}),
           "OPTIONS /imap")
    st, r, _ = https(srv, "GET", "/imap")
    expect((st, r.getheader("Upgrade")), (426, "websocket"), "GET /imap without Upgrade")
    try:
        Ws(srv, "/imap", ["xmpp"])
        raise AssertionError("a WebSocket offering only xmpp was accepted")
    except websocket.WebSocketBadStatusException as e:
        expect(e.status_code, 400, "only another subprotocol offered")

    c = Ws(srv, "/imap", ["imap"])
    expect(c.ws.getsubprotocol(), "imap", "RFC 6455 §4.2.2: the subprotocol selected")
    expect(c.line(),
           "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ ID ENABLE] Lemonade ready",
           "the greeting: under TLS already, no STARTTLS")
    c.send(b"a1 LOGIN alice \"alice pw\"\r\n", pieces=5)
    expect(c.until_tagged("a1")[-1].split(" ", 2)[:2], ["a1", "OK"], "LOGIN over the binding")

    # A 5 MB APPEND, its literal cut into frames at random places.
    body = b"".join(b"line %07d of a big message, some words to fill it out\r\n" % i for i in range(90000))
    msg = b"From: bob@localhost\r\nTo: alice@localhost\r\nSubject: big\r\n\r\n" + body
    expect(len(msg) > 5 * 1000 * 1000, True, "the message is over 5 MB")
    c.send(b"a2 APPEND INBOX {%d+}\r\n" % len(msg) + msg + b"\r\n", pieces=400)
    done = c.until_tagged("a2")[-1]
    expect(re.match(r"a2 OK \[APPENDUID \d+ 1\] APPEND completed", done) is not None, True, "APPEND: " + done)
    c.send(b"a3 SELECT INBOX\r\n")
    expect("* 1 EXISTS" in c.until_tagged("a3"), True, "SELECT sees it")
    c.send(b"a4 FETCH 1 BODY.PEEK[]\r\n")
    head = c.line()
    expect(head, "* 1 FETCH (BODY[] {%d}" % len(msg), "the FETCH literal's announcement")
    expect(c.exactly(len(msg)) == msg, True, "5 MB back byte-exact")
    expect(c.line(), ")", "the FETCH response's end")
    expect(c.line(), "a4 OK FETCH completed", "FETCH done")

    # IDLE over the binding hears another client's APPEND at once.
    idle_push(c, srv, "a5", 2)
    c.send(b"a6 LOGOUT\r\n")
    expect(c.until_tagged("a6"), ["* BYE Lemonade logging out", "a6 OK LOGOUT completed"], "LOGOUT")
    expect(c.wait_closed()[0], 1000, "the server closes normally after LOGOUT")

    # Text frames are not the binding's.
    c = Ws(srv, "/imap", ["imap"])
    c.line()
    c.ws.send("a1 NOOP\r\n")
    expect(c.wait_closed()[0], 1003, "a text frame: 1003")

    # No subprotocol offered at all: served, none selected.
    c = Ws(srv, "/imap", None)
    expect(c.ws.getsubprotocol(), None, "none offered, none selected")
    expect(c.line().startswith("* OK [CAPABILITY IMAP4rev1 "), True, "served anyway")
    c.ws.close()


def submission_binding(srv):
    c = Ws(srv, "/submission", ["submission"])
    expect(c.line(), "220 localhost ESMTP Lemonade", "the submission greeting")
    c.send(b"EHLO phone.example\r\n")
    ehlo = []
    while not ehlo or ehlo[-1][3] != " ":
        ehlo.append(c.line())
    expect("250-STARTTLS" in ehlo, False, "no STARTTLS under the listener's TLS")
    expect("250-AUTH PLAIN LOGIN SCRAM-SHA-256" in ehlo, True, "AUTH offered: " + repr(ehlo))
    # Pipelined (RFC 2920), one frame per few octets.
    c.send(b"AUTH PLAIN AGJvYgBib2IgcHc=\r\nMAIL FROM:<bob@localhost>\r\nRCPT TO:<alice@localhost>\r\nDATA\r\n",
           pieces=20)
    expect(c.line(), "235 2.7.0 Authentication successful", "AUTH")
    expect(c.line(), "250 2.1.0 Sender <bob@localhost> OK", "MAIL")
    expect(c.line(), "250 2.1.5 Recipient <alice@localhost> OK", "RCPT")
    expect(c.line().startswith("354 "), True, "DATA")
    c.send(b"Subject: over a websocket\r\n\r\nsent from behind a firewall\r\n.\r\n", pieces=3)
    expect(c.line().startswith("250 2.0.0 Message queued as "), True, "queued")
    c.send(b"QUIT\r\n")
    expect(c.line(), "221 2.0.0 localhost Bye", "QUIT")
    expect(c.wait_closed()[0], 1000, "closed after QUIT")
    m = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    m.login("alice", "alice pw")
    for _ in range(300):
        typ, data = m.status("INBOX", "(MESSAGES)")
        if b"MESSAGES 3" in data[0]:
            break
        time.sleep(0.1)
    m.select("INBOX", readonly=True)
    typ, data = m.fetch("3", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    expect(data[0][1], b"Subject: over a websocket\r\n\r\n", "delivered")
    m.logout()


def no_idle_keepalive(srv):
    """imap.idle_keepalive is 1 s here: plain IDLE hears "* OK Still here"
    within 2.5 s; IDLE over the binding hears nothing, the binding's pings
    keeping the path instead (docs/http-binding.md, "Keepalives")."""
    plain = socket.create_connection(("127.0.0.1", srv.imap_port), timeout=10)
    f = plain.makefile("rb")
    f.readline()
    plain.sendall(b'a1 LOGIN alice "alice pw"\r\na2 SELECT INBOX\r\na3 IDLE\r\n')
    while not f.readline().startswith(b"+ "):
        pass
    expect(f.readline(), b"* OK Still here\r\n", "plain IDLE's keepalive")
    plain.close()
    c = Ws(srv, "/imap", ["imap"])
    c.line()
    c.send(b'a1 LOGIN alice "alice pw"\r\na2 SELECT INBOX\r\na3 IDLE\r\n')
    c.until_tagged("a2")
    expect(c.line(), "+ idling", "IDLE over the binding")
    c.ws.settimeout(2.5)
    try:
        c.fill()
        raise AssertionError("IDLE over the binding sent %r" % c.buf)
    except websocket.WebSocketTimeoutException:
        pass
    c.ws.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    random.seed(17)
    with LemonadeServer(args.lemonade, users={"alice": "alice pw", "bob": "bob pw"}) as srv:
        imap_binding(srv)
        submission_binding(srv)
        # Every session ended with its WebSocket, however it closed.
        expect(sessions_ended(srv), (4, set()), "sessions over WebSocket, all ended")
    with LemonadeServer(args.lemonade, users={"alice": "alice pw"}, options=["imap.idle_keepalive=1"]) as srv:
        no_idle_keepalive(srv)
    with LemonadeServer(args.lemonade, users={"alice": "alice pw"}, options=["https.bindings=[]"]) as srv:
        for path in ("/imap", "/submission"):
            expect(https(srv, "OPTIONS", path)[0], 404, "bindings off: " + path)
    print("ok")


if __name__ == "__main__":
    main()
