#!/usr/bin/env python3
"""An MTA keeps its LMTP connection (issue 14): Postfix's LMTP client
reuses a connection for as long as it has mail, with no count limit by
default, so Lemonade's LMTP takes any number of messages on one
connection unless lmtp.max_messages says otherwise (submission's
per-connection limit, submission.max_messages = 100, does not apply).
Python's smtplib.LMTP delivers 150 messages over one connection, each
answered 250 (RFC 2033 §4.2: one reply per recipient after the data), and
the account's INBOX then holds all 150 with their Message-IDs. Then with
lmtp.max_messages = 3 the fourth MAIL gets 452 4.5.3, and the session
goes on (RSET, QUIT).

Usage: test_lmtp_connection.py --lemonade BIN"""

import argparse
import os
import smtplib
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402
from mail_checks import inbox  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def message(i):
    return ("From: mta@remote.test\r\nTo: alice@localhost\r\nSubject: number %d\r\n"
            "Message-ID: <lmtp-%d@remote.test>\r\n\r\nBody %d.\r\n" % (i, i, i)).encode()


def deliver(lmtp, i):
    """One transaction; the reply to the recipient after DATA."""
    code, _ = lmtp.mail("mta@remote.test")
    if code != 250:
        return code
    code, _ = lmtp.rcpt("alice@localhost")
    if code != 250:
        return code
    # smtplib.LMTP.data returns the reply for the (one) recipient.
    code, _ = lmtp.data(message(i))
    return code


def message_ids(port):
    """The Message-IDs of alice's INBOX."""
    ids = set()
    for raw in inbox(port, "alice", "alice-pw"):
        for line in raw.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                ids.add(line.split(b":", 1)[1].strip().decode())
    return ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    users = {"alice": "alice-pw"}

    with LemonadeServer(args.lemonade, users=users) as srv:
        lmtp = smtplib.LMTP("127.0.0.1", srv.lmtp_port)
        lmtp.ehlo("mta.remote.test")  # smtplib.LMTP sends LHLO
        codes = [deliver(lmtp, i) for i in range(150)]
        check(codes == [250] * 150,
              "150 messages on one LMTP connection, each answered 250 (replies other than 250: %s)"
              % sorted(set(c for c in codes if c != 250)))
        code, _ = lmtp.quit()
        check(code == 221, "QUIT answered 221")
        ids = message_ids(srv.imap_port)
        check(ids == {"<lmtp-%d@remote.test>" % i for i in range(150)},
              "the INBOX holds all 150, by Message-ID (has %d)" % len(ids))

    with LemonadeServer(args.lemonade, users=users, options=["lmtp.max_messages=3"]) as srv:
        lmtp = smtplib.LMTP("127.0.0.1", srv.lmtp_port)
        lmtp.ehlo("mta.remote.test")
        codes = [deliver(lmtp, i) for i in range(3)]
        check(codes == [250] * 3, "lmtp.max_messages = 3: three messages delivered")
        code, text = lmtp.mail("mta@remote.test")
        check((code, text) == (452, b"4.5.3 Too many messages in this connection; reconnect to send more"),
              "the fourth MAIL gets 452 4.5.3 (got %d %r)" % (code, text))
        code, _ = lmtp.rset()
        check(code == 250, "the session goes on: RSET answered 250")
        lmtp.quit()
        check(len(message_ids(srv.imap_port)) == 3, "three messages in the INBOX")

    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
