#!/usr/bin/env python3
"""The delivery benchmark's C++ clients (bench/load/lmtp-load) against a
running server, briefly: over LMTP and over submission (AUTH PLAIN) every
message of the plan is accepted and lands in its INBOX with its
Message-ID, the times are CLOCK_MONOTONIC (time.perf_counter's), and a
refused recipient or a wrong password fails the client with the server's
reply (so a broken generator or a broken server cannot pass as a fast
one)."""

import argparse
import atexit
import imaplib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402

PASSWORD = "bench-pass"


def message(c, i, dot=False):
    body = b"line one\r\n" + (b"..a line that starts with a dot (stuffed)\r\n" if dot else b"") + b"end\r\n"
    return (b"From: <s%d@example.org>\r\nSubject: plan %d/%d\r\nMessage-ID: <plan.%d.%d@example.org>\r\n\r\n"
            % (c, c, i, c, i) + body)


def plan(path, clients):
    """clients: [(sender, rcpt, user or None, [octets, ...])]"""
    with open(path, "wb") as f:
        for sender, rcpt, user, messages in clients:
            f.write(b"C %s %s %s %d\n" % (sender.encode(), rcpt.encode(), (user or "-").encode(), len(messages)))
            for m in messages:
                f.write(b"M %d\n" % len(m) + m)


def load(generator, port, path, lmtp, password=PASSWORD):
    before = time.perf_counter()
    out = subprocess.run([generator, "--port", str(port), "--plan", path, "--password", password] +
                         (["--lmtp"] if lmtp else []), capture_output=True, timeout=120)
    after = time.perf_counter()
    assert out.returncode == 0, out.stderr.decode()
    res = json.loads(out.stdout)
    assert before <= res["t0"] <= after, (before, res["t0"], after)
    return res


def inbox_ids(port, user):
    c = imaplib.IMAP4("127.0.0.1", port)
    c.login(user, PASSWORD)
    c.select("INBOX", readonly=True)
    typ, data = c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
    c.logout()
    ids = []
    for item in data:
        if isinstance(item, tuple):
            ids.append(item[1].decode().split(":", 1)[1].strip())
    return sorted(ids)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    ap.add_argument("--generator", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="lemonade-lmtpload-")
    atexit.register(shutil.rmtree, work, True)
    path = os.path.join(work, "plan")
    users = {"u0": PASSWORD, "u1": PASSWORD, "u2": PASSWORD}
    with LemonadeServer(args.lemonade, users=users) as srv:
        # LMTP: two clients, three messages each, one with a stuffed dot.
        plan(path, [("s0@example.org", "u0@localhost", None, [message(0, i, i == 1) for i in range(3)]),
                    ("s1@example.org", "u1@localhost", None, [message(1, i) for i in range(3)])])
        res = load(args.generator, srv.lmtp_port, path, True)
        for r in res["clients"]:
            assert (r["ok"], r["errors"], r["first_error"], r["accepted"]) == (3, 0, None, [0, 1, 2]), r
            assert res["t0"] < r["last"] <= time.perf_counter(), (res["t0"], r)
        for c, user in enumerate(("u0", "u1")):
            assert inbox_ids(srv.imap_port, user) == ["<plan.%d.%d@example.org>" % (c, i) for i in range(3)]

        # Submission: AUTH PLAIN as u2, to u0.
        plan(path, [("u2@localhost", "u0@localhost", "u2", [message(2, i) for i in range(2)])])
        res = load(args.generator, srv.submission_port, path, False)
        assert (res["clients"][0]["ok"], res["clients"][0]["errors"]) == (2, 0), res
        deadline = time.time() + 30
        while len(inbox_ids(srv.imap_port, "u0")) < 5 and time.time() < deadline:
            time.sleep(0.1)
        assert inbox_ids(srv.imap_port, "u0")[-2:] == ["<plan.2.0@example.org>", "<plan.2.1@example.org>"]

        # Failures are counted with the server's words, never as accepted.
        plan(path, [("s0@example.org", "nobody@localhost", None, [message(0, 9)])])
        r = load(args.generator, srv.lmtp_port, path, True)["clients"][0]
        assert (r["ok"], r["errors"], r["accepted"], r["last"]) == (0, 1, [], None), r
        assert r["first_error"].startswith("MAIL/RCPT/DATA: 550 5.1.1"), r
        plan(path, [("u2@localhost", "u0@localhost", "u2", [message(2, 9)])])
        r = load(args.generator, srv.submission_port, path, False, password="wrong")["clients"][0]
        assert (r["ok"], r["errors"]) == (0, 1) and r["first_error"].startswith("AUTH: 535"), r
    print("ok")


if __name__ == "__main__":
    main()
