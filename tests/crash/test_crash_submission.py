#!/usr/bin/env python3
"""Crash test of submission (issue 14, DESIGN.md §5): 8 clients submit
messages (AUTH, pipelined MAIL/RCPT/DATA), the server is killed with
SIGKILL at a random moment, restarted on the same data directory; every
message that got its 250 must then reach the recipient's INBOX, byte for
byte after the fields the server adds. Delivery is at least once: a kill
between a message's delivery and the queue's record of it delivers it
again after the restart, so duplicates are counted and reported, never
losses. Three cycles.

Usage: test_crash_submission.py --lemonade BIN"""

import argparse
import base64
import imaplib
import os
import random
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402

SENDER, SENDER_PW = "alice", "alice-pw"
RCPT, RCPT_PW = "bob", "bob-pw"
THREADS = 8


def read_reply(f):
    """One SMTP reply (all its lines); its code."""
    while True:
        line = f.readline()
        if not line:
            raise EOFError
        if line[3:4] != b"-":
            return int(line[:3])


def submitter(port, seed, acked, stop):
    rng = random.Random(seed)
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        f = s.makefile("rb")
        read_reply(f)
        auth = base64.b64encode(b"\0" + SENDER.encode() + b"\0" + SENDER_PW.encode())
        s.sendall(b"EHLO crash.example\r\nAUTH PLAIN " + auth + b"\r\n")
        if read_reply(f) != 250 or read_reply(f) != 235:
            return
        n = 0
        while not stop.is_set():
            n += 1
            size = rng.randint(512, 200 * 1024)
            body = ("Subject: crash %d/%d\r\nMessage-ID: <%d.%d@crash>\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\n\r\n"
                    % (seed, n, seed, n)).encode()
            line = bytes(rng.randrange(33, 127) for _ in range(70)) + b"\r\n"
            body += line * (size // 72)
            s.sendall(b"MAIL FROM:<%s@localhost>\r\nRCPT TO:<%s@localhost>\r\nDATA\r\n" % (SENDER.encode(), RCPT.encode()))
            if read_reply(f) != 250 or read_reply(f) != 250 or read_reply(f) != 354:
                return
            # RFC 5321 §4.5.2: a line that starts with "." gets another.
            s.sendall(body.replace(b"\r\n.", b"\r\n..") + b".\r\n")
            if read_reply(f) == 250:
                acked.append(("crash %d/%d" % (seed, n), body))
            if n % 50 == 0:
                s.sendall(b"QUIT\r\n")
                return
    except (OSError, EOFError):
        pass  # the server was killed


def after_added_fields(raw):
    lines = raw.split(b"\r\n")
    i = 0
    while i < len(lines) and lines[i].startswith(b"Received:"):
        i += 1
        while i < len(lines) and lines[i][:1] in (b"\t", b" "):
            i += 1
    return b"\r\n".join(lines[i:])


def inbox(port):
    """subject -> list of bodies (as submitted), from bob's INBOX."""
    m = imaplib.IMAP4("127.0.0.1", port)
    m.login(RCPT, RCPT_PW)
    typ, data = m.select("INBOX", readonly=True)
    out = {}
    if int(data[0]):
        typ, data = m.fetch("1:*", "(BODY.PEEK[])")
        for item in data:
            if isinstance(item, tuple):
                raw = item[1]
                subject = raw.split(b"Subject: ", 1)[1].split(b"\r\n", 1)[0].decode()
                out.setdefault(subject, []).append(after_added_fields(raw))
    m.logout()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    rng = random.Random(int(os.environ.get("LEMONADE_CRASH_SEED", time.time())))
    acked = []
    server = LemonadeServer(args.lemonade, users={SENDER: SENDER_PW, RCPT: RCPT_PW})
    server.start()
    try:
        for cycle in range(3):
            stop = threading.Event()
            threads = [threading.Thread(target=submitter, args=(server.submission_port, cycle * 100 + i, acked, stop))
                       for i in range(THREADS)]
            for t in threads:
                t.start()
            time.sleep(rng.uniform(1.0, 3.0))
            server.kill9()
            stop.set()
            for t in threads:
                t.join(timeout=30)
            server.start()  # same data directory: the queue runner resumes
            deadline = time.time() + 60
            while True:
                got = inbox(server.imap_port)
                missing = [s for s, _ in acked if s not in got]
                if not missing or time.time() > deadline:
                    break
                time.sleep(0.5)
            if missing:
                raise AssertionError("cycle %d: %d acknowledged messages never arrived, e.g. %s"
                                     % (cycle, len(missing), missing[:3]))
            for subject, body in acked:
                for b in got[subject]:
                    if b != body:
                        at = next((i for i in range(min(len(b), len(body))) if b[i] != body[i]), min(len(b), len(body)))
                        raise AssertionError("cycle %d: %s arrived changed (%d octets, sent %d; first difference at %d: %r vs %r)"
                                             % (cycle, subject, len(b), len(body), at, b[at:at + 40], body[at:at + 40]))
            duplicates = sum(len(v) - 1 for v in got.values())
            print("cycle %d: %d acknowledged messages delivered; %d delivered twice (at least once), %d unacknowledged "
                  "ones delivered too" % (cycle, len(acked), duplicates, len(got) - len(set(s for s, _ in acked))))
        if not acked:
            raise AssertionError("no submission was acknowledged: the test tested nothing")
        print("ok")
    except Exception:
        print("---- server log ----\n" + server.log()[-6000:])
        raise
    finally:
        server.__exit__(None, None, None)


if __name__ == "__main__":
    main()
