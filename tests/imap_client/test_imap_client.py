#!/usr/bin/env python3
"""Our own IMAP client library (src/imap/client) against the server, as
the submission server will use it for BURL (RFC 4468 §3 via RFC 4467
URLFETCH): plain, STARTTLS and implicit TLS; a literal sent with LITERAL+
and, against a server offering only LITERAL- (imap.literal=minus), after
waiting for the continuation; URLFETCH of a submit+ URL minted by Python's
imaplib (the data must be the message's octets), of a forged one (NIL), and
a refused login (an error, exit 1).

Usage: test_imap_client.py --lemonade BIN --client BIN"""

import argparse
import imaplib
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402

MESSAGE = (b"From: a@example.org\r\nSubject: via our client\r\nMIME-Version: 1.0\r\n\r\n"
           b"line one\r\n\xc3\xa9 8-bit line\r\n" + b"x" * 5000 + b"\r\n")
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(client, port, tls, user, password, *args):
    with tempfile.NamedTemporaryFile() as f:
        f.write(MESSAGE)
        f.flush()
        cmd = [client, "--port", str(port), "--tls", tls, "--user", user, "--password", password,
               "--append-file", f.name, *args]
        p = subprocess.run(cmd, capture_output=True, timeout=60)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def mint(port):
    """A submit+demo URL for INBOX message 1, made with imaplib."""
    imaplib.Commands.setdefault("GENURLAUTH", ("AUTH", "SELECTED"))
    m = imaplib.IMAP4("127.0.0.1", port)
    m.login("demo", "secret")
    typ, data = m.select("INBOX")
    uv = m.response("UIDVALIDITY")[1][0].decode()
    url = "imap://demo@localhost/INBOX;UIDVALIDITY=%s/;UID=1;urlauth=submit+demo" % uv
    typ, data = m._simple_command("GENURLAUTH", '"%s"' % url, "INTERNAL")
    got = m.untagged_responses.get("GENURLAUTH", [b""])[0].decode()
    m.logout()
    return got.strip('"')


def scenario(lemonade, client, literal):
    opts = ["imap.urlauth_submit_users=submitter", "imap.literal=" + literal]
    users = {"demo": "secret", "submitter": "s3cret"}
    with LemonadeServer(lemonade, users=users, options=opts) as srv:
        for tls, port in (("none", srv.imap_port), ("starttls", srv.imap_port), ("implicit", srv.imaps_port)):
            rc, out, err = run(client, port, tls, "demo", "secret")
            check(rc == 0, "%s/%s: demo logs in and appends (%s)" % (literal, tls, err.strip()))
            check((b"TLS yes" if tls != "none" else b"TLS no") in out, "%s/%s: TLS as asked" % (literal, tls))
            plus = b" LITERAL+" in out.split(b"\n")[1]
            check(plus == (literal == "plus"), "%s/%s: LITERAL+ advertised only with imap.literal=plus" % (literal, tls))
            check(re.search(rb"APPEND OK \[APPENDUID \d+ \d+\]", out) is not None, "%s/%s: APPEND OK" % (literal, tls))
        url = mint(srv.imap_port)
        check(url.startswith("imap://demo@localhost/INBOX;") and ":INTERNAL:" in url, "GENURLAUTH gave " + url)
        forged = re.sub(r"[0-9a-f]{64}$", "0" * 64, url)
        rc, out, err = run(client, srv.imap_port, "starttls", "submitter", "s3cret", url, forged)
        check(rc == 0, "%s: submitter's URLFETCH runs (%s)" % (literal, err.strip()))
        expect = b"URL " + url.encode() + b" " + str(len(MESSAGE)).encode() + b"\n" + MESSAGE + b"\n"
        check(expect in out, "%s: URLFETCH gives the message's octets" % literal)
        check(b"URL " + forged.encode() + b" NIL\n" in out, "%s: a forged token is NIL" % literal)
        rc, out, err = run(client, srv.imap_port, "none", "demo", "wrong")
        check(rc == 1 and "LOGIN as demo refused" in err, "%s: a refused LOGIN is an error: %s" % (literal, err.strip()))
        rc, out, err = run(client, 1, "none", "demo", "secret")
        check(rc == 1 and "cannot connect" in err, "nothing listening: an error: %s" % err.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    ap.add_argument("--client", required=True)
    args = ap.parse_args()
    scenario(args.lemonade, args.client, "plus")
    scenario(args.lemonade, args.client, "minus")
    if failures:
        sys.exit(1)
    print("all ok")


if __name__ == "__main__":
    main()
