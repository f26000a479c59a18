"""The long-poll binding (issue 17, docs/http-binding.md "Long polling"):
IMAP and submission over plain HTTP requests for paths that break
WebSocket. A POST carries the client's octets from a numbered offset, a
GET held until the session has output returns the server's from the count
the client has; every octet arrives exactly once.

- IMAP through it: LOGIN, a 5 MB APPEND in window-sized POSTs, FETCH of it
  back byte-exact, IDLE hearing another client's APPEND within seconds.
- An answer lost on the way: the GET sent again with the same count gets
  the same octets; a POST sent again takes nothing twice (one tagged
  answer), one that overlaps takes only the new octets, one past a gap is
  refused (409) with the count the server has, one over the window 413.
- Once logged in: no credentials 401, a wrong password 401, another
  user's 404; the session goes on.
- The hold: an idle GET is answered empty after Lemonade-Hold; a GET sent
  while one is held ends the held one and halves the hold (a loss).
- The end: LOGOUT's answer carries Lemonade-End and the token goes;
  DELETE ends a session at once; past https.resume_grace an unused
  session ends.
- A GET without credentials held across the login is not answered with
  what came after it; https.max_poll_per_address (429); answers of at most
  https.poll_answer_max.
- Submission over /submission: EHLO, AUTH, a message sent."""

import argparse
import base64
import http.client
import imaplib
import os
import re
import ssl
import sys
import shutil
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from lemonade_server import LemonadeServer  # noqa: E402
from test_python_imaplib import expect  # noqa: E402
from test_websocket import Ws  # noqa: E402


class Poll:
    """A client of the long-poll binding, as a phone would run it: one
    connection for GETs, one for POSTs; everything received counted."""

    def __init__(self, srv, path="/imap", proxy_port=None, port=None):
        self.srv = srv
        self.port = port or srv.https_port
        self.path = path
        self.proxy_port = proxy_port
        self.auth = None
        self.received = 0
        self.buf = b""
        self.sent = 0
        self.end = False
        self.largest = 0  # the largest GET answer
        self.getc = self.conn()
        self.postc = self.conn()
        self.open()

    def open(self):
        st, r, _ = self.request(self.postc, "POST", {"Lemonade-Session": "new"})
        expect(st, 200, "the opening POST")
        self.token = r.getheader("Lemonade-Session")
        expect(re.fullmatch(r"[0-9a-f]{32}", self.token or "") is not None, True, "a 128-bit token")
        self.window = int(r.getheader("Lemonade-Window"))
        self.hold = int(r.getheader("Lemonade-Hold"))
        expect(r.getheader("Lemonade-Received"), "0", "nothing sent yet")
        expect(r.getheader("Cache-Control"), "no-store", "never cached")

    def conn(self, port=None):
        ctx = ssl.create_default_context(cafile=self.srv.cert)
        ctx.check_hostname = False
        if self.proxy_port:
            c = http.client.HTTPSConnection("127.0.0.1", self.proxy_port, context=ctx, timeout=60)
            c.set_tunnel("127.0.0.1", self.srv.https_port)
        else:
            c = http.client.HTTPSConnection("127.0.0.1", port or self.port, context=ctx, timeout=60)
        return c

    def request(self, c, method, headers, body=None):
        if self.auth:
            headers = dict(headers, Authorization="Basic " + self.auth)
        c.request(method, self.path, body=body, headers=headers)
        r = c.getresponse()
        return r.status, r, r.read()

    def login_as(self, user, password):
        """HTTP Basic on every request from now on (the session logs in)."""
        self.auth = base64.b64encode(("%s:%s" % (user, password)).encode()).decode()

    def post(self, data, offset=None):
        offset = self.sent if offset is None else offset
        st, r, _ = self.request(self.postc, "POST", {"Lemonade-Session": self.token,
                                                     "Lemonade-Offset": str(offset)}, data)
        return st, r

    def send(self, data):
        for at in range(0, len(data), self.window):
            piece = data[at:at + self.window]
            st, r = self.post(piece)
            expect(st, 200, "POST")
            self.sent += len(piece)
            expect(int(r.getheader("Lemonade-Received")), self.sent, "the server has all sent")

    def get(self, received=None):
        """One GET: (status, response, body); counted when it is the next
        piece of the stream."""
        n = self.received if received is None else received
        st, r, body = self.request(self.getc, "GET", {"Lemonade-Session": self.token,
                                                     "Lemonade-Received": str(n)})
        if st == 200 and received is None:
            expect(r.getheader("Lemonade-Offset"), str(n), "the body starts where the client is")
            self.hold = int(r.getheader("Lemonade-Hold"))
            self.received += len(body)
            self.buf += body
            self.largest = max(self.largest, len(body))
            if r.getheader("Lemonade-End") == "1":
                self.end = True
        return st, r, body

    def fill(self):
        """One more answer into buf (Ws's line() and until_tagged() read it)."""
        expect(self.end, False, "more from the session")
        st, _, _ = self.get()
        expect(st, 200, "GET")

    line = Ws.line
    until_tagged = Ws.until_tagged
    take = Ws.exactly


def append_other(srv, body):
    m = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    m.login("alice", "alice pw")
    m.append("INBOX", None, None, body)
    m.logout()


def logged_in(srv, proxy_port=None):
    c = Poll(srv, proxy_port=proxy_port)
    expect(c.line().startswith("* OK [CAPABILITY IMAP4rev1 "), True, "the greeting")
    c.send(b"a1 LOGIN alice \"alice pw\"\r\n")
    c.login_as("alice", "alice pw")
    expect(c.until_tagged("a1")[-1].split(" ")[:2], ["a1", "OK"], "LOGIN over long polling")
    return c


def big_append_and_idle(srv, proxy_port=None):
    """A 5 MB APPEND in window-sized POSTs, read back byte-exact; IDLE hears
    another client's APPEND within seconds."""
    c = logged_in(srv, proxy_port)
    msg = b"Subject: big\r\n\r\n" + b"".join(b"%07d over long polling, some filler words\r\n" % i
                                            for i in range(120000))
    expect(len(msg) > 5 * 1000 * 1000, True, "over 5 MB")
    c.send(b"a2 APPEND INBOX {%d+}\r\n" % len(msg) + msg + b"\r\n")
    expect(c.until_tagged("a2")[-1].startswith("a2 OK [APPENDUID "), True, "the 5 MB APPEND")
    c.send(b"a3 SELECT INBOX\r\n")
    exists = [l for l in c.until_tagged("a3") if l.endswith(" EXISTS")][0]
    n = int(exists.split(" ")[1])
    c.send(b"a4 FETCH %d BODY.PEEK[]\r\n" % n)
    head = c.line()
    expect(head, "* %d FETCH (BODY[] {%d}" % (n, len(msg)), "the literal")
    expect(c.take(len(msg)) == msg, True, "read back byte-exact")
    expect(c.largest, 256 * 1024, "GETs answered with at most https.poll_answer_max octets each")
    expect(c.until_tagged("a4")[-1].split(" ")[:2], ["a4", "OK"], "FETCH done")
    c.send(b"a5 IDLE\r\n")
    expect(c.line(), "+ idling", "IDLE")
    done = []
    t = threading.Thread(target=lambda: done.append(c.line()))
    t.start()
    time.sleep(0.3)  # the GET is held now
    start = time.monotonic()
    append_other(srv, b"Subject: small\r\n\r\nhi\r\n")
    t.join(30)
    expect(done, ["* %d EXISTS" % (n + 1)], "IDLE: the new message")
    expect(time.monotonic() - start < 5, True, "within seconds")
    c.send(b"DONE\r\na6 LOGOUT\r\n")
    lines = c.until_tagged("a6")
    expect(lines[-2:], ["* BYE Lemonade logging out", "a6 OK LOGOUT completed"], "LOGOUT")
    while not c.end:
        c.get()
    st, _, _ = c.get()
    expect(st, 404, "after Lemonade-End the token is gone")
    return c


def exactly_once(srv):
    c = logged_in(srv)
    st, r, body = c.request(c.conn(), "POST", {"Lemonade-Session": "new", "Lemonade-Device": "two words"})
    expect((st, body), (400, b"Lemonade-Device must be up to 64 letters, digits, '.', '_' or '-'\n"),
           "a device name that is not one")
    c.send(b"b1 SELECT INBOX\r\n")
    c.until_tagged("b1")
    # A GET's answer lost on the way: the same count brings the same octets.
    c.send(b"b2 NOOP\r\n")
    time.sleep(0.3)
    st, r, first = c.get(received=c.received)
    expect((st, first.endswith(b"b2 OK NOOP completed\r\n")), (200, True), "the answer (then lost)")
    st, r, again = c.get(received=c.received)
    expect(again, first, "sent again, the same octets")
    c.get()
    expect(c.until_tagged("b2")[-1], "b2 OK NOOP completed", "counted once")

    # A POST sent again takes nothing twice; one overlapping takes the rest.
    cmd = b"b3 NOOP\r\n"
    st, r = c.post(cmd)
    expect(st, 200, "POST")
    st, r = c.post(cmd)  # its answer "lost", sent again
    expect((st, r.getheader("Lemonade-Received")), (200, str(c.sent + len(cmd))), "nothing taken twice")
    more = b"b4 NOOP\r\n"
    st, r = c.post(cmd + more)
    expect((st, r.getheader("Lemonade-Received")), (200, str(c.sent + len(cmd) + len(more))), "only the new octets")
    c.sent += len(cmd) + len(more)
    expect(c.until_tagged("b3")[-1], "b3 OK NOOP completed", "b3 once")
    expect(c.until_tagged("b4"), ["b4 OK NOOP completed"], "b4 once, nothing between")
    st, r = c.post(b"b5 NOOP\r\n", offset=c.sent + 3)
    expect((st, r.getheader("Lemonade-Received")), (409, str(c.sent)), "a gap refused")
    st, r = c.post(b"x" * (c.window + 1))
    expect(st, 413, "a POST over the window")
    c.send(b"b5 NOOP\r\n")
    expect(c.until_tagged("b5"), ["b5 OK NOOP completed"], "the session goes on")

    # Credentials, once the session has logged in.
    auth = c.auth
    c.auth = None
    st, r = c.post(b"")
    expect((st, r.getheader("WWW-Authenticate") is not None), (401, True), "no credentials")
    c.login_as("alice", "wrong")
    st, r, _ = c.get()
    expect(st, 401, "a wrong password")
    c.login_as("bob", "bob pw")
    st, r, _ = c.get()
    expect(st, 404, "another user's credentials")
    c.auth = auth
    c.send(b"b6 NOOP\r\n")
    expect(c.until_tagged("b6"), ["b6 OK NOOP completed"], "the session survived them")
    st, r, _ = c.get(received=c.received + 1)
    expect(st, 404, "a count past what was sent")

    # DELETE ends the session at once.
    st, r, _ = c.request(c.postc, "DELETE", {"Lemonade-Session": c.token})
    expect(st, 204, "DELETE")
    st, r, _ = c.get()
    expect(st, 404, "gone")


def anonymous_get(srv):
    """A GET without credentials held across the session's login is not
    answered with what the session wrote after it."""
    c = Poll(srv)
    c.line()
    got = []
    t = threading.Thread(target=lambda: got.append(c.get(received=c.received)))
    t.start()
    time.sleep(0.3)  # held now, without credentials
    c.send(b"a1 LOGIN alice \"alice pw\"\r\n")
    t.join(10)
    expect((got[0][0], b"a1 OK" in got[0][2]), (200, False), "the LOGIN's answer not to the anonymous GET")
    c.buf += got[0][2]  # what came before the login, if any
    c.received += len(got[0][2])
    st, r, body = c.get()
    expect(st, 401, "a GET without credentials after the login")
    c.login_as("alice", "alice pw")
    expect(c.until_tagged("a1")[-1].split(" ")[:2], ["a1", "OK"], "with credentials")
    c.send(b"a2 LOGOUT\r\n")
    c.until_tagged("a2")
    while not c.end:
        c.get()


def per_address(srv):
    """https.max_poll_per_address is 3 here: a fourth session from
    127.0.0.1 is refused (429) until one of the three is gone."""
    three = [Poll(srv) for _ in range(3)]
    try:
        Poll(srv)
        raise AssertionError("a fourth long-poll session was opened")
    except AssertionError as e:
        expect("got 429" in str(e), True, "the fourth refused: %s" % e)
    st, r, _ = three[0].request(three[0].postc, "DELETE", {"Lemonade-Session": three[0].token})
    expect(st, 204, "one ended")
    Poll(srv)


def holds(srv):
    """hold_start 3 s here: an idle GET is answered empty after it; a GET
    sent while one is held ends the held one, and counts as a loss."""
    c = logged_in(srv)
    expect(c.hold, 3000, "the starting hold")
    start = time.monotonic()
    st, r, body = c.get()
    took = time.monotonic() - start
    expect((st, body), (200, b""), "an idle GET answered empty")
    expect(2.5 < took < 6, True, "after its hold (%.1f s)" % took)
    got = []
    t = threading.Thread(target=lambda: got.append(c.get(received=c.received)))
    t.start()
    time.sleep(2)  # held for 2 s, then the client "gives up" on it
    other = c.conn()
    st, r, body = c.request(other, "GET", {"Lemonade-Session": c.token, "Lemonade-Received": str(c.received)})
    t.join(10)
    expect((got[0][0], got[0][2]), (200, b""), "the held GET answered at once, empty")
    halved = int(got[0][1].getheader("Lemonade-Hold"))
    expect(1000 <= halved < 1300, True, "the hold, half the 2 s the lost GET was held: %d ms" % halved)
    c.send(b"h1 LOGOUT\r\n")
    c.until_tagged("h1")


def expiry(srv):
    c = logged_in(srv)
    time.sleep(4)  # https.resume_grace is 2 s here
    st, r, _ = c.get()
    expect(st, 404, "past the grace period, the session is gone")


def submission(srv):
    c = Poll(srv, path="/submission")
    expect(c.line().startswith("220 "), True, "the greeting")
    c.send(b"EHLO phone\r\n")
    lines = []
    while True:
        lines.append(c.line())
        if lines[-1].startswith("250 "):
            break
    expect("250-STARTTLS" in lines, False, "no STARTTLS: under TLS already")
    auth = base64.b64encode(b"\0alice\0alice pw").decode()
    c.send(b"AUTH PLAIN " + auth.encode() + b"\r\n")
    c.login_as("alice", "alice pw")  # the session may log in before the next GET
    expect(c.line().startswith("235 "), True, "AUTH")
    c.send(b"MAIL FROM:<alice@localhost>\r\nRCPT TO:<alice@localhost>\r\nDATA\r\n")
    expect([c.line()[:3] for _ in range(3)], ["250", "250", "354"], "the envelope")
    c.send(b"Subject: over long polling\r\n\r\nhi\r\n.\r\nQUIT\r\n")
    expect(c.line()[:3], "250", "accepted")
    expect(c.line()[:3], "221", "QUIT")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    with LemonadeServer(args.lemonade, users={"alice": "alice pw", "bob": "bob pw"}) as srv:
        big_append_and_idle(srv)
        exactly_once(srv)
        submission(srv)
    data = tempfile.mkdtemp(prefix="lemonade-poll-")
    options = ["https.hold_start=3s", "https.keepalive_min=1s", "https.resume_grace=2", "https.max_poll_per_address=3"]
    with LemonadeServer(args.lemonade, users={"alice": "alice pw"}, options=options, data_dir=data) as srv:
        holds(srv)
        expiry(srv)
        anonymous_get(srv)
        per_address(srv)
    # What was learned of alice's path (the hold halved) outlives a restart.
    saved = open(os.path.join(data, "binding-paths.tsv")).read()
    expect(re.search(r"^poll\talice\x1f\t1\d\d\d\t2\d\d\d\t\d+$", saved, re.M) is not None, True,
           "the learned hold written at shutdown: %r" % saved)
    with LemonadeServer(args.lemonade, options=options, data_dir=data) as srv:
        expect("event=binding_paths_loaded paths=" in srv.log(), True, "read at start")
        c = logged_in(srv)
        expect(1000 <= c.hold < 1300, True, "the learned hold after a restart: %d ms" % c.hold)
        c.send(b"r1 LOGOUT\r\n")
        c.until_tagged("r1")
    shutil.rmtree(data, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    main()
