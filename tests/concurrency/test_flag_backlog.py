#!/usr/bin/env python3
"""A session that sends no command while another changes the flags of more
messages than a view keeps pending (selected_mailbox::max_flag_updates,
10,000) must still learn every change at its next command, from a
comparison with the store instead of the dropped events; with CONDSTORE
each FETCH carries the new MODSEQ."""

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from imap_conn import Conn  # noqa: E402
from lemonade_server import LemonadeServer  # noqa: E402

MESSAGES = 10050


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    with LemonadeServer(args.lemonade, users={"demo": "secret"}) as srv:
        a, b = Conn(srv.imap_port), Conn(srv.imap_port)
        for c in (a, b):
            c.command(b"LOGIN demo secret")
        msg = b"Subject: x\r\n\r\nx\r\n"
        done = 0
        while done < MESSAGES:
            k = min(1000, MESSAGES - done)
            b.command(b"APPEND INBOX" + (b" {%d+}\r\n" % len(msg) + msg) * k)
            done += k
        a.command(b"ENABLE CONDSTORE")
        a.command(b"SELECT INBOX")
        b.command(b"SELECT INBOX")
        # One STORE of every message: more updates than a view keeps.
        b.command(b"STORE 1:* +FLAGS.SILENT (\\Flagged)")
        # And a second change of a few, after the first is past the limit.
        b.command(b"STORE 1:3 +FLAGS.SILENT (\\Seen)")
        lines = a.command(b"NOOP")
        seen = {}
        for line in lines:
            m = re.match(rb"\* (\d+) FETCH \(FLAGS \(([^)]*)\) UID (\d+) MODSEQ \((\d+)\)\)", line)
            if not m:
                raise AssertionError("unexpected response %r" % line[:100])
            seq, flags, uid, mod = int(m.group(1)), m.group(2).split(), int(m.group(3)), int(m.group(4))
            if seq in seen:
                raise AssertionError("message %d reported twice" % seq)
            seen[seq] = (flags, uid, mod)
        if len(seen) != MESSAGES:
            raise AssertionError("%d of %d flag changes reported" % (len(seen), MESSAGES))
        for seq, (flags, uid, mod) in seen.items():
            want = {b"\\Flagged", b"\\Recent"} | ({b"\\Seen"} if seq <= 3 else set())
            if set(flags) != want or uid != seq:
                raise AssertionError("message %d: %r" % (seq, (flags, uid)))
        # The view now agrees with the store: nothing more to report.
        if a.command(b"NOOP"):
            raise AssertionError("changes reported twice")
        highest = max(mod for _, _, mod in seen.values())
        # STATUS (HIGHESTMODSEQ) is b's first CONDSTORE enabling command
        # with a mailbox selected: RFC 7162 §3.1 also wants HIGHESTMODSEQ.
        status = b.command(b"STATUS INBOX (HIGHESTMODSEQ)")
        if status != [b"* STATUS INBOX (HIGHESTMODSEQ %d)\r\n" % highest,
                      b"* OK [HIGHESTMODSEQ %d] Highest\r\n" % highest]:
            raise AssertionError("HIGHESTMODSEQ %r, highest reported %d" % (status, highest))
    print("PASS test_flag_backlog (%d changes over the limit, all reported once)" % MESSAGES)


if __name__ == "__main__":
    main()
