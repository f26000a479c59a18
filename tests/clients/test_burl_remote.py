#!/usr/bin/env python3
"""BURL (RFC 4468) for a URL that names another IMAP server (issue 14):
the submission server of one Lemonade ("mail.test") takes
`BURL imap://bob@imap.other.test/...;urlauth=submit+bob:internal:... LAST`
and fetches the content by URLFETCH (RFC 4467 §7) from a second Lemonade
that plays imap.other.test, listed in submission.burl_servers, logged in
there as submission.burl_user (an imap.urlauth_submit_users identity of
that server). The message arrives byte for byte; a host not listed is
refused without any connection (RFC 4468 §6: 554 5.7.14); a token the
other server does not honour fails the BURL (554 5.6.6).

Usage: test_burl_remote.py --lemonade BIN"""

import argparse
import imaplib
import os
import re
import smtplib
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402

imaplib.Commands.setdefault("GENURLAUTH", ("AUTH", "SELECTED"))  # RFC 4467, unknown to imaplib

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    other = LemonadeServer(args.lemonade, users={"bob": "bobpw", "submitter": "subpw"},
                           options=["server.hostname=imap.other.test", "imap.urlauth_submit_users=submitter"])
    other.start()
    try:
        mail = LemonadeServer(args.lemonade, users={"bob": "bobpw2", "carol": "cpw", "submitter": "subpw"},
                              options=["server.hostname=mail.test", 'server.domains=["mail.test"]',
                                       "submission.burl_user=submitter", "submission.burl_password=subpw",
                                       "imap.urlauth_submit_users=submitter",
                                       'submission.burl_servers=["imap.other.test=127.0.0.1:%d"]' % other.imap_port])
        mail.start()
        try:
            run(mail, other)
        finally:
            mail.stop()
            if failures:
                print(mail.log()[-3000:])
            mail.close()
    finally:
        other.close()
    print("%d failures" % len(failures))
    return 1 if failures else 0


def run(mail, other):
    stored = (b"From: bob@mail.test\r\nTo: carol@mail.test\r\nSubject: from the other store\r\n"
              b"Date: Fri, 04 Dec 2026 14:00:00 +0000\r\nMessage-ID: <remote-burl@mail.test>\r\n\r\n"
              b"Kept on imap.other.test, sent by mail.test.\r\n" + b"x" * 70 + b"\r\n")
    m = imaplib.IMAP4("127.0.0.1", other.imap_port)
    m.login("bob", "bobpw")
    typ, data = m.append("INBOX", None, None, stored)
    uidvalidity, uid = re.search(rb"APPENDUID (\d+) (\d+)", data[0]).groups()
    url = "imap://bob@imap.other.test/INBOX;UIDVALIDITY=%s/;UID=%s;urlauth=submit+bob" % (uidvalidity.decode(), uid.decode())
    typ, data = m._simple_command("GENURLAUTH", '"%s"' % url, "INTERNAL")
    typ, data = m._untagged_response(typ, data, "GENURLAUTH")
    token_url = data[0].decode().strip('"')
    m.logout()
    check(token_url.startswith(url + ":internal:") or token_url.lower().startswith(url.lower() + ":internal:"),
          "GENURLAUTH on the other server: %s" % token_url)

    with smtplib.SMTP("127.0.0.1", mail.submission_port) as s:
        s.ehlo("client.test")
        s.login("bob", "bobpw2")
        s.ehlo("client.test")
        check(s.esmtp_features.get("burl", "").strip() == "imap",
              "EHLO after AUTH offers BURL imap (RFC 4468 §3.1): %r" % s.esmtp_features.get("burl"))
        s.mail("bob@mail.test")
        s.rcpt("carol@mail.test")
        code, text = s.docmd("BURL", token_url + " LAST")
        check(code == 250, "BURL of the other server's URL: %d %r" % (code, text))
        # A host that is not listed: refused before any fetch.
        s.rset()
        s.mail("bob@mail.test")
        s.rcpt("carol@mail.test")
        code, text = s.docmd("BURL", token_url.replace("imap.other.test", "imap.unknown.test") + " LAST")
        check(code == 554 and text.startswith(b"5.7.14"), "a host not in burl_servers: %d %r" % (code, text))
        # A token the other server does not honour.
        s.rset()
        s.mail("bob@mail.test")
        s.rcpt("carol@mail.test")
        forged = token_url[: token_url.rfind(":") + 1] + "0" * 64
        code, text = s.docmd("BURL", forged + " LAST")
        check(code == 554 and text.startswith(b"5.6.6"), "a forged token: %d %r" % (code, text))

    deadline = time.time() + 10
    got = []
    while time.time() < deadline and not got:
        c = imaplib.IMAP4("127.0.0.1", mail.imap_port)
        c.login("carol", "cpw")
        typ, data = c.select("INBOX", readonly=True)
        for i in range(1, int(data[0]) + 1):
            typ, d = c.fetch(str(i), "(BODY.PEEK[])")
            got.append(d[0][1])
        c.logout()
        time.sleep(0.1)
    check(len(got) == 1 and got[0].endswith(stored), "carol got the message from the other store byte for byte")
    check(re.search(r"login.*submitter|submitter.*login", other.log(), re.I) is not None,
          "the other server saw the submission identity log in")


if __name__ == "__main__":
    sys.exit(main())
