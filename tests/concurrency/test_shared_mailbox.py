#!/usr/bin/env python3
"""Several sessions on one mailbox append, flag, expunge and read at once
(RFC 3501 §5.2, §7.4.1). Every session follows the untagged EXISTS and
EXPUNGE it receives; an EXPUNGE must name a message the session knows, and
once all are quiet each session's view (count and UID list) must equal a
fresh SELECT's."""

import argparse
import os
import random
import re
import socket
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402

SESSIONS = 4
ROUNDS = 150


class Session:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.f = self.s.makefile("rb")
        self.f.readline()
        self.n = 0
        self.count = 0
        self.command("LOGIN demo secret")
        self.command("SELECT INBOX")

    def command(self, text, literal=None):
        self.n += 1
        tag = "t%d" % self.n
        data = ("%s %s" % (tag, text)).encode()
        if literal is not None:
            data += b" {%d+}\r\n" % len(literal) + literal
        self.s.sendall(data + b"\r\n")
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                raise AssertionError("connection closed")
            m = re.match(rb"\* (\d+) (EXISTS|EXPUNGE)\r\n", line)
            if m:
                n = int(m.group(1))
                if m.group(2) == b"EXISTS":
                    if n < self.count:
                        raise AssertionError("EXISTS went down without EXPUNGE: %d < %d" % (n, self.count))
                    self.count = n
                else:
                    if not 1 <= n <= self.count:
                        raise AssertionError("EXPUNGE %d for a message never seen (count %d)" % (n, self.count))
                    if text.startswith(("FETCH", "STORE", "SEARCH")):
                        raise AssertionError("EXPUNGE during %s (RFC 3501 §7.4.1)" % text.split()[0])
                    self.count -= 1
            m = re.match(rb"\* (\d+) FETCH", line)
            if m and not 1 <= int(m.group(1)) <= self.count:
                raise AssertionError("FETCH for sequence %s beyond %d" % (m.group(1), self.count))
            if line.startswith(tag.encode() + b" "):
                if not line.startswith(tag.encode() + b" OK"):
                    raise AssertionError("%s: %r" % (text, line))
                return lines
            lines.append(line)

    def uids(self):
        if self.count == 0:
            return []
        lines = self.command("FETCH 1:* (UID)")
        return [int(re.search(rb"UID (\d+)", l).group(1)) for l in lines if b" FETCH " in l]


def worker(port, seed, errors):
    rng = random.Random(seed)
    try:
        s = Session(port)
        for i in range(ROUNDS):
            op = rng.random()
            if op < 0.4 or s.count == 0:
                s.command("APPEND INBOX", b"Subject: %d/%d\r\n\r\nx\r\n" % (seed, i))
            elif op < 0.7:
                seq = rng.randint(1, s.count)
                s.command("STORE %d +FLAGS (\\Deleted)" % seq)
            elif op < 0.85:
                s.command("EXPUNGE")
            elif op < 0.9:
                s.command("FETCH 1:%d (FLAGS)" % s.count)
            elif op < 0.97:
                # RFC 3501 §7.4.1 / RFC 2180 §4.1.1: a message another
                # session expunged, not yet reported here, is still
                # readable: its content comes back, never NO [SERVERBUG]
                # or nothing.
                seq = rng.randint(1, s.count)
                lines = s.command("FETCH %d (BODY.PEEK[])" % seq)
                if not any(l.startswith(b"* %d FETCH (BODY[] {" % seq) for l in lines) or \
                        not any(l.startswith(b"Subject: ") for l in lines):
                    raise AssertionError("FETCH %d BODY.PEEK[] gave %r" % (seq, lines[:3]))
            else:
                s.command("NOOP")
        errors.append(None)
        return s
    except Exception as e:  # noqa: BLE001 - reported below
        errors.append("session %d: %s" % (seed, e))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    with LemonadeServer(args.lemonade, users={"demo": "secret"}) as srv:
        sessions, errors = [], []

        def run(seed):
            s = worker(srv.imap_port, seed, errors)
            if s:
                sessions.append(s)

        threads = [threading.Thread(target=run, args=(k,)) for k in range(SESSIONS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        problems = [e for e in errors if e]
        if problems:
            raise AssertionError("\n".join(problems))
        truth = Session(srv.imap_port)
        expected = truth.uids()
        for s in sessions:
            s.command("NOOP")
            if s.count != truth.count or s.uids() != expected:
                raise AssertionError("a session's view differs from a fresh SELECT: %d vs %d messages"
                                     % (s.count, truth.count))
        print("PASS test_shared_mailbox (%d messages at the end)" % truth.count)


if __name__ == "__main__":
    main()
