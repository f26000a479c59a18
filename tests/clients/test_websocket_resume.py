"""Sessions that survive the transport (issue 17, docs/http-binding.md):
an IMAP session over the WebSocket binding, opened resumable, outlives its
TCP connection; the client reconnects with its token and the count of
octets it has, and every octet arrives exactly once.

- The connection dies in the middle of a FETCH literal: after the resume
  the literal completes byte-exact.
- It dies during IDLE, another client appends meanwhile: after the resume
  the EXISTS arrives, once.
- It dies right after a command went out: Lemonade-Received says how much
  of it the server has; the client sends the rest; one tagged answer.
- "ack N" text messages: the server keeps only what is unacknowledged and
  answers with its own count.
- A 101 lost on the way: the token before it still resumes, until a
  connection shows its 101 arrived.
- Refused with 404, one answer for all: a token used once already, another
  user's credentials with the right token, a count the server cannot
  resume from; 401 for a wrong password. The session survives them.
- Past https.resume_grace the session ends; LOGOUT ends it for good."""

import argparse
import base64
import imaplib
import os
import re
import socket
import struct
import sys
import time

import websocket

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from lemonade_server import LemonadeServer  # noqa: E402
from test_python_imaplib import expect  # noqa: E402
from test_websocket import Ws, via  # noqa: E402


class Resumable(Ws):
    """A resumable IMAP session over the binding, as a phone would keep it:
    everything received (with its count), everything sent (to resend what
    the server lacks after a resume)."""

    def __init__(self, srv, grace="1800", proxy_port=None, port=None):
        self.srv = srv
        self.proxy_port = proxy_port
        self.port = port or srv.https_port
        self.received = 0
        self.buf = b""
        self.sent = b""
        self.server_has = 0  # from "ack M" and Lemonade-Received
        self.ws = self.connect(["Lemonade-Session: new"])
        self.token = self.headers["lemonade-session"]
        expect(re.fullmatch(r"[0-9a-f]{32}", self.token) is not None, True, "a 128-bit token: " + self.token)
        expect((self.headers["lemonade-grace"], self.headers["lemonade-window"]), (grace, "1048576"),
               "the grace period and window")

    def connect(self, headers):
        ws = websocket.create_connection(
            "wss://127.0.0.1:%d/imap" % self.port, timeout=30, header=headers,
            sslopt={"ca_certs": self.srv.cert, "check_hostname": False}, subprotocols=["imap"],
            **via(self.proxy_port))
        self.headers = ws.getheaders()
        return ws

    def resume_headers(self, user, password, token=None, received=None):
        auth = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
        return ["Lemonade-Session: " + (token or self.token),
                "Lemonade-Received: %d" % (self.received if received is None else received),
                "Authorization: Basic " + auth]

    def resume(self, user="alice", password="alice pw", **kw):
        self.ws = self.connect(self.resume_headers(user, password, **kw))
        expect(self.headers["lemonade-session"] != self.token, True, "a new token at each resume")
        self.token = self.headers["lemonade-session"]
        has = int(self.headers["lemonade-received"])
        expect(has <= len(self.sent), True, "the server has no more than was sent")
        self.server_has = has
        if has < len(self.sent):
            self.ws.send_binary(self.sent[has:])

    def refused(self, user="alice", password="alice pw", **kw):
        try:
            self.connect(self.resume_headers(user, password, **kw))
        except websocket.WebSocketBadStatusException as e:
            return e.status_code
        raise AssertionError("a resume that should fail succeeded")

    def kill(self):
        """The connection is lost: no close frame, no more reading."""
        try:
            self.ws.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.ws.sock.close()

    def send(self, data):
        self.sent += data
        self.ws.send_binary(data)

    def fill(self):
        op, frame = self.ws.recv_data_frame()
        if op == websocket.ABNF.OPCODE_TEXT:
            m = re.fullmatch(rb"ack (\d+)", frame.data)
            expect(m is not None, True, "a text message is an ack: %r" % frame.data)
            self.server_has = int(m.group(1))
            return
        if op == websocket.ABNF.OPCODE_CLOSE:
            raise EOFError(struct.unpack("!H", frame.data[:2])[0])
        expect(op, websocket.ABNF.OPCODE_BINARY, "binary frames")
        self.received += len(frame.data)
        self.buf += frame.data


def append_other(srv, body):
    m = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    m.login("alice", "alice pw")
    m.append("INBOX", None, None, body)
    m.logout()


def scenarios(srv):
    big = b"Subject: big\r\n\r\n" + b"".join(b"%06d 0123456789abcdefghijklmnopqrstuvwxyz\r\n" % i for i in range(8000))
    append_other(srv, big)
    c = Resumable(srv)
    c.line()
    c.send(b"a1 LOGIN alice \"alice pw\"\r\n")
    c.until_tagged("a1")
    c.send(b"a2 SELECT INBOX\r\n")
    expect("* 1 EXISTS" in c.until_tagged("a2"), True, "SELECT")

    # 1. Lost in the middle of a FETCH literal.
    c.send(b"a3 FETCH 1 BODY.PEEK[]\r\n")
    expect(c.line(), "* 1 FETCH (BODY[] {%d}" % len(big), "the literal begins")
    while len(c.buf) < 100000:
        c.fill()
    c.kill()
    c.resume()
    expect(c.exactly(len(big)) == big, True, "the literal completes byte-exact after the resume")
    expect(c.line(), ")", "the FETCH response's end")
    expect(c.line(), "a3 OK FETCH completed", "FETCH done, once")

    # 2. Lost during IDLE; new mail meanwhile.
    c.send(b"a4 IDLE\r\n")
    expect(c.line(), "+ idling", "IDLE")
    c.kill()
    append_other(srv, b"Subject: while away\r\n\r\nhi\r\n")
    time.sleep(0.3)
    c.resume()
    expect(c.line(), "* 2 EXISTS", "the new mail, after the resume")
    c.send(b"DONE\r\n")
    rest = c.until_tagged("a4")
    expect((rest[-1], [x for x in rest if "EXISTS" in x]), ("a4 OK IDLE terminated", []),
           "no duplicate EXISTS, IDLE done")

    # 3. Lost right after a command went out.
    c.send(b"a5 NOOP\r\n")
    c.kill()
    time.sleep(0.2)
    c.resume()
    c.send(b"a6 NOOP\r\n")
    expect(c.until_tagged("a5"), ["a5 OK NOOP completed"], "the command ran once")
    expect(c.until_tagged("a6"), ["a6 OK NOOP completed"], "and the next one too")

    # 4. Acks both ways.
    c.ws.send("ack %d" % c.received)
    c.send(b"a7 NOOP\r\n")
    expect(c.until_tagged("a7"), ["a7 OK NOOP completed"], "NOOP after an ack")
    while c.server_has < len(c.sent) - len(b"a7 NOOP\r\n"):
        c.fill()
    expect(len(c.sent) - len(b"a7 NOOP\r\n") <= c.server_has <= len(c.sent), True,
           "the server's ack counts what it had when it answered: %d of %d" % (c.server_has, len(c.sent)))

    # 5. Refusals; the session survives them.
    acked = c.received - len(b"a7 OK NOOP completed\r\n")
    c.kill()
    old = c.token
    expect(c.refused(password="wrong"), 401, "a wrong password")
    expect(c.refused(user="bob", password="bob pw"), 404, "bob with alice's token")
    expect(c.refused(received=c.received + 1), 404, "more octets than the server sent")
    expect(c.refused(received=acked - 1), 404, "fewer than the client acknowledged")
    # A 101 that never arrived: the client resumes again with the token it
    # had; that token serves until a connection shows its 101 arrived (a
    # first frame from the client), then never again.
    c.resume()
    c.kill()
    c.token = old
    c.resume()
    c.send(b"a8 NOOP\r\n")
    expect(c.until_tagged("a8"), ["a8 OK NOOP completed"], "resumed with the token before a lost 101")
    expect(c.refused(token=old), 404, "a token used once already")
    c.send(b"a9 LOGOUT\r\n")
    expect(c.until_tagged("a9"), ["* BYE Lemonade logging out", "a9 OK LOGOUT completed"], "LOGOUT")
    try:
        while True:
            c.fill()
    except EOFError as e:
        expect(e.args[0], 1000, "closed after LOGOUT")
    expect(c.refused(), 404, "a session that logged out")

    # 6. Not logged in yet: nothing to resume; the session ends with its
    # connection.
    d = Resumable(srv)
    d.line()
    d.kill()
    expect(d.refused(), 404, "a session lost before its login")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    with LemonadeServer(args.lemonade, users={"alice": "alice pw", "bob": "bob pw"}) as srv:
        scenarios(srv)
        log = open(srv.log_path).read()
        expect(len(re.findall(r"event=binding_resumed", log)), 5, "five resumes logged")
    with LemonadeServer(args.lemonade, users={"alice": "alice pw"}, options=["https.resume_grace=1"]) as srv:
        c = Resumable(srv, grace="1")
        c.line()
        c.send(b"a1 LOGIN alice \"alice pw\"\r\n")
        c.until_tagged("a1")
        c.kill()
        time.sleep(2.5)
        expect(c.refused(), 404, "past the grace period")
        log = open(srv.log_path).read()
        expect("event=binding_expired" in log, True, "the expiry logged")
        for _ in range(50):
            if re.search(r"conn=\d+ event=disconnect user=\"alice\"", open(srv.log_path).read()):
                break
            time.sleep(0.1)
        expect(re.search(r"conn=\d+ event=disconnect user=\"alice\"", open(srv.log_path).read()) is not None, True,
               "the session ended with its grace period")
    print("ok")


if __name__ == "__main__":
    main()
