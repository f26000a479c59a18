"""An IDLE-ing phone behind mobile-network middleboxes (issue 17,
docs/http-binding.md "Keepalives"), time compressed 40 times: a middlebox
of our own (tests/support/middlebox.py) that resets any connection idle for
0.75 s (30 s), then one that resets connections at random. The phone keeps
a resumable IMAP session over the WebSocket binding, IDLEs, and resumes
whenever its connection is reset; another client appends mail at random
moments.

- Every new message's EXISTS arrives exactly once, in order, within
  seconds: none lost, none twice, across every reset.
- Behind the idle-resetting box the server learns the path: after the
  first losses its pings keep the connection up, at most 2 per idle window,
  and resets stop.
- The same with the long-poll binding (docs/http-binding.md "Long
  polling"): the phone keeps a GET outstanding; the server learns how long
  it may hold one, after a few lost GETs at most 2 empty answers per idle
  window.

Prints the figures (pings, resets, resumes, push latency) for bench/."""

import argparse
import http.client
import imaplib
import os
import random
import re
import ssl
import sys
import threading
import time

import websocket

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from lemonade_server import LemonadeServer  # noqa: E402
from middlebox import Middlebox  # noqa: E402
from test_python_imaplib import expect  # noqa: E402
from test_websocket_resume import Resumable  # noqa: E402
from test_http_poll import Poll  # noqa: E402

SCALE = 40  # real seconds are SCALE times shorter than the ones they stand for
OPTIONS = ["https.keepalive_min=%dms" % (20000 // SCALE), "https.keepalive_max=%dms" % (1680000 // SCALE),
           "https.pong_timeout=%dms" % (10000 // SCALE), "https.hold_start=%dms" % (25000 // SCALE),
           "https.hold_max=%dms" % (110000 // SCALE)]
LOST = (OSError, ssl.SSLError, http.client.HTTPException)


class Phone(Resumable):
    """Resumes at once whenever its connection goes; counts the pings."""

    def __init__(self, srv, port):
        self.pings = 0
        self.resumes = 0
        self.ping_times = []
        super().__init__(srv, port=port)

    def fill(self):
        while True:
            try:
                op, frame = self.ws.recv_data_frame(control_frame=True)
            except (websocket.WebSocketException, OSError, ssl.SSLError):
                self.reconnect()
                continue
            if op == websocket.ABNF.OPCODE_PING:
                self.pings += 1
                self.ping_times.append(time.monotonic())
                continue
            if op in (websocket.ABNF.OPCODE_PONG, websocket.ABNF.OPCODE_TEXT):
                continue
            expect(op, websocket.ABNF.OPCODE_BINARY, "binary frames")
            self.received += len(frame.data)
            self.buf += frame.data
            return

    def reconnect(self):
        for _ in range(100):
            try:
                self.resume()
                self.resumes += 1
                return
            except (websocket.WebSocketException, OSError, ssl.SSLError):
                time.sleep(0.05)
        raise AssertionError("could not resume")

    def send(self, data):
        self.sent += data
        try:
            self.ws.send_binary(data)
        except (websocket.WebSocketException, OSError, ssl.SSLError):
            self.reconnect()  # resends what the server lacks


class PollPhone(Poll):
    """The long-poll binding's phone: one GET always outstanding, sent
    again at once (same count) when its connection goes; a POST sent again
    (same offset) when its connection goes. Counts the GETs answered empty
    (its keepalives) and the GET connections lost."""

    def __init__(self, srv, port):
        self.pings = 0
        self.resumes = 0
        self.ping_times = []
        self.post_resets = 0
        super().__init__(srv, port=port)

    def open(self):
        for _ in range(100):
            try:
                return super().open()
            except LOST:
                self.postc.close()
                self.postc = self.conn()
        raise AssertionError("could not open")

    def post(self, data, offset=None):
        for _ in range(100):
            try:
                return super().post(data, offset)
            except LOST:
                self.post_resets += 1
                self.postc.close()
                self.postc = self.conn()
        raise AssertionError("could not POST")

    def get(self, received=None):
        while True:
            try:
                st, r, body = super().get(received)
            except LOST:
                self.resumes += 1
                self.getc.close()
                self.getc = self.conn()
                continue
            if st == 200 and not body:
                self.pings += 1
                self.ping_times.append(time.monotonic())
            return st, r, body


def pusher(srv, stop, pushed, lock, gap):
    m = None
    rng = random.Random(7)
    while not stop.is_set():
        if stop.wait(rng.uniform(*gap)):
            break
        if m is None:
            m = imaplib.IMAP4("127.0.0.1", srv.imap_port)
            m.login("alice", "alice pw")
        with lock:
            m.append("INBOX", None, None, b"Subject: push %d\r\n\r\nhi\r\n" % (len(pushed) + 1))
            pushed.append(time.monotonic())
    if m is not None:
        m.logout()


def idle_phone(srv, port, phone=Phone):
    """A `phone` (Phone or PollPhone) through `port`, logged in as alice and
    IDLE in her INBOX; and the messages INBOX held."""
    c = phone(srv, port)
    c.line()
    c.send(b"a1 LOGIN alice \"alice pw\"\r\n")
    if phone is PollPhone:
        c.login_as("alice", "alice pw")
    c.until_tagged("a1")
    c.send(b"a2 SELECT INBOX\r\n")
    have = int(re.search(r"\* (\d+) EXISTS", "\n".join(c.until_tagged("a2"))).group(1))
    c.send(b"a3 IDLE\r\n")
    expect(c.line(), "+ idling", "IDLE")
    return c, have


def run(srv, mb, seconds, gap, label, phone=Phone):
    c, have = idle_phone(srv, mb.port, phone)
    pushed, lock, stop = [], threading.Lock(), threading.Event()
    t = threading.Thread(target=pusher, args=(srv, stop, pushed, lock, gap), daemon=True)
    start = time.monotonic()
    t.start()
    seen, latencies = [], []
    while True:
        with lock:
            total = len(pushed)
        if time.monotonic() - start > seconds and not stop.is_set():
            stop.set()
            t.join()
            with lock:
                total = len(pushed)
        if stop.is_set() and len(seen) == total:
            break
        line = c.line()
        m = re.fullmatch(r"\* (\d+) EXISTS", line)
        if m:
            n = int(m.group(1)) - have
            seen.append(n)
            expect(n, len(seen), "%s: EXISTS in order, none lost, none twice (%r)" % (label, seen[-5:]))
            with lock:
                latencies.append(time.monotonic() - pushed[n - 1])
        else:
            expect(re.fullmatch(r"\* \d+ RECENT|\* OK Still here", line) is not None, True, label + ": " + line)
    c.send(b"DONE\r\n")
    c.until_tagged("a3")
    c.send(b"a4 LOGOUT\r\n")
    c.until_tagged("a4")
    elapsed = time.monotonic() - start
    latencies.sort()
    print("%s: %.0f s (%.0f min compressed), %d pushes, all delivered once; push latency median %.0f ms, max %.0f ms;"
          " %d pings, %d resets (idle %d, random %d), %d resumes, %d segments relayed"
          % (label, elapsed, elapsed * SCALE / 60, len(seen), 1000 * latencies[len(latencies) // 2],
             1000 * latencies[-1], c.pings, mb.resets_idle + mb.resets_random, mb.resets_idle, mb.resets_random,
             c.resumes, mb.segments))
    expect(latencies[-1] < 5, True, label + ": every push within seconds")
    return c, elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    ap.add_argument("--seconds", type=float, default=90)  # an hour at SCALE 40
    args = ap.parse_args()
    with LemonadeServer(args.lemonade, users={"alice": "alice pw"}, options=OPTIONS) as srv:
        idle = 30 / SCALE
        with Middlebox(("127.0.0.1", srv.https_port), idle=idle) as mb:
            c, elapsed = run(srv, mb, args.seconds, (1, 8), "idle-reset box")
            # Learned: in the second half, pings at most 2 per idle window,
            # and the connection is reset for idleness rarely if ever.
            half = c.ping_times[0] + (c.ping_times[-1] - c.ping_times[0]) / 2 if c.ping_times else 0
            late = [p for p in c.ping_times if p >= half]
            windows = (c.ping_times[-1] - half) / idle if late else 1
            expect(len(late) <= 2 * windows + 1, True,
                   "at most 2 pings per idle window once learned: %d in %.0f windows" % (len(late), windows))
            expect(mb.resets_idle <= 8, True, "the path learned after a few resets: %d" % mb.resets_idle)
        with Middlebox(("127.0.0.1", srv.https_port), lifetime=(0.5, 4)) as mb:
            run(srv, mb, args.seconds / 3, (0.3, 2), "random-reset box")

        # The long-poll binding behind the same boxes: the hold is learned
        # as the ping interval is (its idle POST connection is reset too,
        # and simply opened again when the next command goes).
        with Middlebox(("127.0.0.1", srv.https_port), idle=idle) as mb:
            c, elapsed = run(srv, mb, args.seconds, (1, 8), "idle-reset box, long polling", PollPhone)
            half = c.ping_times[0] + (c.ping_times[-1] - c.ping_times[0]) / 2
            late = [p for p in c.ping_times if p >= half]
            windows = (c.ping_times[-1] - half) / idle
            expect(len(late) <= 2 * windows + 1, True,
                   "at most 2 empty GETs per idle window once learned: %d in %.0f windows" % (len(late), windows))
            expect(c.resumes <= 8, True, "the hold learned after a few lost GETs: %d" % c.resumes)
        with Middlebox(("127.0.0.1", srv.https_port), lifetime=(0.5, 4)) as mb:
            run(srv, mb, args.seconds / 3, (0.3, 2), "random-reset box, long polling", PollPhone)
    print("ok")


if __name__ == "__main__":
    main()
