#!/usr/bin/env python3
"""An IDLE-ing phone behind a mobile network's middlebox (issue 17), time
compressed (BENCH_BINDING_SCALE, 40: a real second stands for 40): the
middlebox of tests/support/middlebox.py resets any TCP connection idle for
30 s (compressed), and another client appends a message at random moments
(every 30 s to 5 min, compressed; one seed for every run). For one hour
(compressed) per variant:

  lemonade-binding  a resumable IMAP session over Lemonade's WebSocket
                    binding (docs/http-binding.md): after a reset the phone
                    resumes (TLS + the upgrade request), nothing to resync
  lemonade-poll     the same session over the long-poll binding: a GET
                    always held, sent again (same count) after a reset
  lemonade-imap     plain IMAP IDLE to Lemonade: after a reset the phone
                    reconnects, LOGIN, SELECT INBOX (QRESYNC ...), IDLE
  dovecot-imap      the same against Dovecot (Debian dovecot-imapd)

Per variant, per hour:
- octets and segments through the box (both ways);
- wakeups: bursts of traffic more than 1 s (compressed) apart, what wakes
  a phone's radio;
- resets, and keepalives (pings, empty long-poll answers, or IMAP
  "* OK Still here");
- resync octets: the IMAP exchanged to re-establish the mailbox after a
  reset, from LOGIN through the IDLE continuation (0 for a resume);
- pushes delivered. A push counts as delivered when the phone learns of the
  message, by EXISTS or by its resync;
- the median and worst push latency, in real milliseconds (a server's own
  delays are not compressed).

The IMAP phones learn of a reset at once (the box resets both
ends); a box that drops silently would be worse for them."""

import argparse
import os
import random
import re
import socket
import statistics
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))
sys.path.insert(0, os.path.join(ROOT, "tests", "clients"))
from dovecot_server import Dovecot  # noqa: E402
from lemonade_server import LemonadeServer  # noqa: E402
from middlebox import Middlebox  # noqa: E402
import test_binding_middlebox as tbm  # noqa: E402



class ImapPhone:
    """Plain IMAP IDLE through the box; reconnects and resyncs with QRESYNC
    after every reset. Counts the octets of each resync."""

    def __init__(self, port, user, password):
        self.port, self.user, self.password = port, user, password
        self.resync_octets = 0
        self.keepalives = 0
        self.uidvalidity = self.modseq = None
        self.exists = 0
        self.connect()

    def connect(self):
        for _ in range(200):
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
                break
            except OSError:
                time.sleep(0.05)
        self.buf = b""
        octets = [0]

        def cmd(line):
            self.sock.sendall(line)
            octets[0] += len(line)
            tag = line.split(b" ")[0].decode()
            out = []
            while True:
                got = self.readline()
                octets[0] += len(got) + 2
                out.append(got)
                if got.startswith(tag + " ") or got.startswith("+ "):
                    return out

        greeting = self.readline()
        octets[0] += len(greeting) + 2
        cmd(b'a1 LOGIN %s "%s"\r\n' % (self.user.encode(), self.password.encode()))
        cmd(b"a2 ENABLE QRESYNC\r\n")
        if self.uidvalidity:
            sel = cmd(b"a3 SELECT INBOX (QRESYNC (%d %d))\r\n" % (self.uidvalidity, self.modseq))
        else:
            sel = cmd(b"a3 SELECT INBOX\r\n")
        for line in sel:
            self.note(line)
        cmd(b"a4 IDLE\r\n")
        if self.uidvalidity is not None and self.resync_started:
            self.resync_octets += octets[0]
        self.resync_started = True

    resync_started = False

    def note(self, line):
        if m := re.match(r"\* (\d+) EXISTS", line):
            self.exists = int(m.group(1))
        if m := re.search(r"\[UIDVALIDITY (\d+)\]", line):
            self.uidvalidity = int(m.group(1))
        if m := re.search(r"\[HIGHESTMODSEQ (\d+)\]", line):
            self.modseq = int(m.group(1))
        if m := re.search(r"MODSEQ \((\d+)\)", line):
            self.modseq = max(self.modseq or 0, int(m.group(1)))
        if "Still here" in line or "still here" in line:
            self.keepalives += 1

    def readline(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line.decode(errors="replace")

    def next_exists(self):
        """Blocks until the phone knows of more messages; returns the count."""
        before = self.exists
        while self.exists == before:
            try:
                self.note(self.readline())
            except (EOFError, OSError):
                self.connect()
        return self.exists


def run_variant(name, target, imap_port, args, make_phone):
    scale = args.scale
    with Middlebox(target, idle=30 / scale) as mb:
        phone, first = make_phone(mb.port)
        pushed, lock, stop = [], threading.Lock(), threading.Event()
        gap = (30 / scale, 300 / scale)
        t = threading.Thread(target=tbm.pusher, args=(FakeSrv(imap_port), stop, pushed, lock, gap), daemon=True)
        start = time.monotonic()
        t.start()
        seen, latencies = first, []
        while True:
            if time.monotonic() - start > 3600 / scale and not stop.is_set():
                stop.set()
                t.join()
            with lock:
                total = len(pushed)
            if stop.is_set() and seen - first >= total:
                break
            n = phone.next_exists()
            now = time.monotonic()
            with lock:
                for i in range(seen - first, min(n - first, len(pushed))):
                    latencies.append((now - pushed[i]) * 1000)
            seen = n
        elapsed = time.monotonic() - start
        print("%s: done in %.0f s" % (name, elapsed), flush=True)
        per_hour = 3600 / scale / elapsed
        with mb.lock:
            stamps = sorted(mb.stamps)
        wakeups = sum(1 for a, b in zip([-1e9] + stamps, stamps) if b - a > 1 / scale)
        keepalives = getattr(phone, "pings", None)
        if keepalives is None:
            keepalives = phone.keepalives
        latencies.sort()
        row = {
            "variant": name, "octets": mb.octets * per_hour, "segments": mb.segments * per_hour,
            "wakeups": wakeups * per_hour, "resets": (mb.resets_idle + mb.resets_random) * per_hour,
            "keepalives": keepalives * per_hour, "resync": getattr(phone, "resync_octets", 0) * per_hour,
            "pushes": "%d/%d" % (len(latencies), total),
            "median": statistics.median(latencies) if latencies else float("nan"),
            "worst": latencies[-1] if latencies else float("nan"),
        }
        return row


class FakeSrv:
    def __init__(self, port):
        self.imap_port = port


def lemonade_binding_phone(srv, phone=tbm.Phone):
    def make(port):
        c, have = tbm.idle_phone(srv, port, phone)

        class Adapter:
            def __init__(self):
                self.exists = have

            def next_exists(self):
                while True:
                    m = re.fullmatch(r"\* (\d+) EXISTS", c.line())
                    if m:
                        self.exists = int(m.group(1))
                        return self.exists

            @property
            def pings(self):
                return c.pings

        return Adapter(), have
    return make


def imap_phone(user, password):
    def make(port):
        p = ImapPhone(port, user, password)
        return p, p.exists
    return make


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", default=os.path.join(ROOT, "build-bench", "lemonade"))
    ap.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_BINDING_SCALE", "40")))
    ap.add_argument("--variants", default=os.environ.get("BENCH_BINDING_VARIANTS",
                                                         "lemonade-binding,lemonade-poll,lemonade-imap,dovecot-imap"))
    args = ap.parse_args()
    random.seed(1)
    options = ["https.keepalive_min=%dms" % (20000 / args.scale),
               "https.keepalive_max=%dms" % (1680000 / args.scale),
               "https.pong_timeout=%dms" % (10000 / args.scale),
               "https.hold_start=%dms" % (25000 / args.scale),
               "https.hold_max=%dms" % (110000 / args.scale),
               "imap.idle_keepalive=%d" % max(1, round(120 / args.scale))]
    rows = []
    variants = args.variants.split(",")
    with LemonadeServer(args.lemonade, users={"alice": "alice pw"}, options=options) as srv:
        if "lemonade-binding" in variants:
            rows.append(run_variant("lemonade-binding", ("127.0.0.1", srv.https_port), srv.imap_port, args,
                                    lemonade_binding_phone(srv)))
        if "lemonade-poll" in variants:
            rows.append(run_variant("lemonade-poll", ("127.0.0.1", srv.https_port), srv.imap_port, args,
                                    lemonade_binding_phone(srv, tbm.PollPhone)))
        if "lemonade-imap" in variants:
            rows.append(run_variant("lemonade-imap", ("127.0.0.1", srv.imap_port), srv.imap_port, args,
                                    imap_phone("alice", "alice pw")))
    if "dovecot-imap" in variants:
        # Dovecot's IDLE keepalive (imap_idle_notify_interval, 2 min)
        # compressed as Lemonade's imap.idle_keepalive is.
        with Dovecot({"alice": "alice pw"},
                     "imap_idle_notify_interval = %d secs" % max(1, round(120 / args.scale))) as dv:
            rows.append(run_variant("dovecot-imap", ("127.0.0.1", dv.imap_port), dv.imap_port, args,
                                    imap_phone("alice", "alice pw")))
    print("\nper hour (compressed %gx), middlebox resetting connections idle for 30 s:" % args.scale)
    print("%-17s %10s %9s %8s %7s %10s %12s %9s %10s %9s" % ("variant", "octets", "segments", "wakeups", "resets",
                                                           "keepalives", "resync oct.", "pushes", "median ms",
                                                           "worst ms"))
    for r in rows:
        print("%-17s %10.0f %9.0f %8.0f %7.0f %10.0f %12.0f %9s %10.0f %9.0f" % (
            r["variant"], r["octets"], r["segments"], r["wakeups"], r["resets"], r["keepalives"], r["resync"],
            r["pushes"], r["median"], r["worst"]))


if __name__ == "__main__":
    main()
