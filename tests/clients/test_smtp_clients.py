#!/usr/bin/env python3
"""Real SMTP clients against the submission server (issue 14): Python
smtplib (STARTTLS, AUTH PLAIN and LOGIN, SMTPUTF8 with a UTF-8 sender and
header, implicit TLS on the submissions port), swaks (STARTTLS, AUTH LOGIN,
PIPELINING) and curl (STARTTLS, AUTH, upload). Each message must arrive in
the recipient's INBOX byte for byte after the fields the server adds
(Received:, and Date:/Message-ID: when missing), read back over IMAP.

Usage: test_smtp_clients.py --lemonade BIN"""

import argparse
import base64
import imaplib
import os
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402
from test_python_imaplib import Scram  # noqa: E402  (the SCRAM-SHA-256 client of the IMAP test)

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def inbox(port, user, password, count, timeout=10.0):
    """The user's INBOX messages (raw), waiting until there are count."""
    deadline = time.time() + timeout
    while True:
        m = imaplib.IMAP4("127.0.0.1", port)
        m.login(user, password)
        typ, data = m.select("INBOX", readonly=True)
        n = int(data[0])
        if n >= count or time.time() > deadline:
            out = []
            for i in range(1, n + 1):
                typ, d = m.fetch(str(i), "(BODY.PEEK[])")
                out.append(d[0][1])
            m.logout()
            return out
        m.logout()
        time.sleep(0.1)


def body_after_added_fields(raw):
    """The message without the fields the server put in front of it."""
    lines = raw.split(b"\r\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith(b"Received:"):
            i += 1
            while i < len(lines) and lines[i][:1] in (b"\t", b" "):
                i += 1
            continue
        break
    return b"\r\n".join(lines[i:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    users = {"alice": "alice-pw", "bob": "bob-pw"}
    with LemonadeServer(args.lemonade, users=users) as srv:
        sent = []
        # smtplib, STARTTLS + AUTH PLAIN.
        msg1 = (b"From: alice@localhost\r\nTo: bob@localhost\r\nSubject: smtplib\r\n"
                b"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <one@localhost>\r\n\r\nfirst\r\n")
        with smtplib.SMTP("127.0.0.1", srv.submission_port) as s:
            s.starttls(context=tls_context())
            s.login("alice", "alice-pw")
            check(s.has_extn("pipelining") and s.has_extn("chunking") and s.has_extn("smtputf8"),
                  "smtplib: EHLO lists PIPELINING, CHUNKING, SMTPUTF8")
            refused = s.sendmail("alice@localhost", ["bob@localhost"], msg1)
            check(refused == {}, "smtplib: sendmail accepted")
        sent.append(msg1)
        # AUTH SCRAM-SHA-256 (RFC 4954 with RFC 7677): 334 challenges, the
        # server's signature checked, then 235; a wrong password is 535.
        for password, want in (("wrong", 535), ("alice-pw", 235)):
            with smtplib.SMTP("127.0.0.1", srv.submission_port) as s:
                s.ehlo()
                sc = Scram("alice", password)
                code, resp = s.docmd("AUTH", "SCRAM-SHA-256 " + base64.b64encode(sc(b"")).decode())
                if code == 334:
                    code, resp = s.docmd(base64.b64encode(sc(base64.b64decode(resp))).decode())
                if code == 334 and want == 235:
                    sc(base64.b64decode(resp))  # checks the server signature
                    code, resp = s.docmd("")
                check(code == want, "SCRAM-SHA-256 with %s password: %d (want %d)" % (
                    "the right" if want == 235 else "a wrong", code, want))
        # smtplib AUTH LOGIN on the implicit-TLS port, SMTPUTF8.
        msg2 = ("From: Ålice <alice@localhost>\r\nTo: bob@localhost\r\nSubject: grüße\r\n"
                "Date: Fri, 04 Dec 2026 10:01:00 +0000\r\nMessage-ID: <two@localhost>\r\n\r\nÜber\r\n").encode()
        with smtplib.SMTP_SSL("127.0.0.1", srv.submissions_port, context=tls_context()) as s:
            s.ehlo()
            code, _ = s.docmd("AUTH", "LOGIN")
            code2, _ = s.docmd(base64.b64encode(b"alice").decode())
            code3, resp = s.docmd(base64.b64encode(b"alice-pw").decode())
            check((code, code2, code3) == (334, 334, 235), "smtplib over TLS: AUTH LOGIN (%d %d %d)" % (code, code2, code3))
            s.mail("alice@localhost", ["SMTPUTF8", "BODY=8BITMIME"])
            s.rcpt("bob@localhost")
            code, resp = s.data(msg2)
            check(code == 250, "smtplib over TLS: SMTPUTF8 message accepted: %r" % resp)
        sent.append(msg2)
        # swaks: STARTTLS, AUTH LOGIN, pipelining.
        msg3 = (b"From: alice@localhost\r\nTo: bob@localhost\r\nSubject: swaks\r\n"
                b"Date: Fri, 04 Dec 2026 10:02:00 +0000\r\nMessage-ID: <three@localhost>\r\n\r\nthird\r\n")
        with tempfile.NamedTemporaryFile() as f:
            f.write(msg3)
            f.flush()
            p = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(srv.submission_port),
                                "--tls",
                                "--auth", "LOGIN", "--auth-user", "alice", "--auth-password", "alice-pw",
                                "--from", "alice@localhost", "--to", "bob@localhost", "--pipeline",
                                "--data", f.name, "--helo", "swaks.example"],
                               capture_output=True, timeout=60)
        out = p.stdout.decode(errors="replace")
        check(p.returncode == 0 and "250 2.0.0 Message queued as" in out,
              "swaks: STARTTLS, AUTH LOGIN, pipelining (rc %d)%s" % (p.returncode, "" if p.returncode == 0 else "\n" + out[-1500:]))
        # swaks ends the data with an empty line of its own before the ".".
        sent.append(msg3 + b"\r\n")
        # curl: STARTTLS required, AUTH, upload.
        msg4 = (b"From: alice@localhost\r\nTo: bob@localhost\r\nSubject: curl\r\n"
                b"Date: Fri, 04 Dec 2026 10:03:00 +0000\r\nMessage-ID: <four@localhost>\r\n\r\nfourth\r\n")
        with tempfile.NamedTemporaryFile() as f:
            f.write(msg4)
            f.flush()
            p = subprocess.run(["curl", "-sS", "--ssl-reqd", "-k", "--url", "smtp://127.0.0.1:%d" % srv.submission_port,
                                "--user", "alice:alice-pw", "--mail-from", "alice@localhost",
                                "--mail-rcpt", "bob@localhost", "--upload-file", f.name],
                               capture_output=True, timeout=60)
        check(p.returncode == 0, "curl: STARTTLS, AUTH, upload (rc %d %s)" % (p.returncode, p.stderr.decode()[-300:]))
        sent.append(msg4)

        got = inbox(srv.imap_port, "bob", "bob-pw", len(sent))
        check(len(got) == len(sent), "bob has %d messages (want %d)" % (len(got), len(sent)))
        for i, (raw, want) in enumerate(zip(got, sent)):
            check(body_after_added_fields(raw) == want, "message %d arrived byte for byte after Received:%s" % (
                i + 1, "" if body_after_added_fields(raw) == want else " %r" % raw[-300:]))
            check(raw.startswith(b"Received: from "), "message %d starts with Received:" % (i + 1))
    if failures:
        sys.exit(1)
    print("all ok")


if __name__ == "__main__":
    main()
