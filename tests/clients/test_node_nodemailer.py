#!/usr/bin/env python3
"""Node nodemailer (npm, pinned in tests/clients/nodemailer/package-lock.json)
against the submission server: STARTTLS and implicit TLS, AUTH, an
attachment, DSN parameters. Both messages must reach the recipient's INBOX
(the attachment's octets intact), and the NOTIFY=SUCCESS one must bring
the sender a success report naming the ENVID. The test command installs
nodemailer with `npm ci`."""

import argparse
import base64
import email
import imaplib
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402


def messages(port, user, password, want, timeout=10.0):
    deadline = time.time() + timeout
    while True:
        m = imaplib.IMAP4("127.0.0.1", port)
        m.login(user, password)
        typ, data = m.select("INBOX", readonly=True)
        n = int(data[0])
        out = []
        if n >= want or time.time() > deadline:
            for i in range(1, n + 1):
                typ, d = m.fetch(str(i), "(BODY.PEEK[])")
                out.append(email.message_from_bytes(d[0][1]))
            m.logout()
            return out
        m.logout()
        time.sleep(0.1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    project = os.path.join(HERE, "nodemailer")
    if not os.path.isdir(os.path.join(project, "node_modules", "nodemailer")):
        raise SystemExit("nodemailer is not installed: run (cd tests/clients/nodemailer && npm ci)")
    with LemonadeServer(args.lemonade, users={"alice": "alice pw", "bob": "bob-pw"}) as srv:
        out = subprocess.run(["node", "nodemailer_test.mjs", str(srv.submission_port), str(srv.submissions_port),
                              "alice", "alice pw", "bob@localhost"], cwd=project, capture_output=True, timeout=60)
        sys.stdout.write(out.stdout.decode())
        sys.stderr.write(out.stderr.decode())
        if out.returncode != 0:
            raise SystemExit("nodemailer_test.mjs failed (exit %d)" % out.returncode)
        got = messages(srv.imap_port, "bob", "bob-pw", 2)
        subjects = sorted(m["Subject"] for m in got)
        if subjects != ["nodemailer implicit tls", "nodemailer starttls"]:
            raise SystemExit("bob got %r" % subjects)
        first = next(m for m in got if m["Subject"] == "nodemailer starttls")
        parts = [p for p in first.walk() if p.get_filename() == "data.bin"]
        if len(parts) != 1 or parts[0].get_payload(decode=True) != bytes([0, 1, 2, 3, 255]):
            raise SystemExit("the attachment did not arrive intact")
        reports = messages(srv.imap_port, "alice", "alice pw", 1)
        if len(reports) != 1 or reports[0].get_content_type() != "multipart/report":
            raise SystemExit("alice has no delivery report: %r" % [r["Subject"] for r in reports])
        status = reports[0].get_payload()[1].as_string()
        for want in ("Original-Envelope-Id: NM-1", "Action: delivered", "Final-Recipient: rfc822; bob@localhost"):
            if want not in status:
                raise SystemExit("the report lacks %r:\n%s" % (want, status))
    print("PASS test_node_nodemailer")


if __name__ == "__main__":
    main()
