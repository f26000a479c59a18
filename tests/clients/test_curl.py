#!/usr/bin/env python3
"""curl as an IMAP client: LIST over implicit TLS and over STARTTLS
(--ssl-reqd), checked line by line; APPEND (upload) and FETCH of a whole
message, a MIME part and a UID over IMAPS, checked byte for byte."""

import argparse
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402

EXPECTED = [
    '* LIST (\\HasNoChildren) "/" INBOX',
    '* LIST (\\HasNoChildren \\Archive) "/" Archive',
    '* LIST (\\HasNoChildren \\Drafts) "/" Drafts',
    '* LIST (\\HasNoChildren \\Junk) "/" Junk',
    '* LIST (\\HasNoChildren \\Sent) "/" Sent',
    '* LIST (\\HasNoChildren \\Trash) "/" Trash',
]


def curl_bytes(srv, url, *extra, stdin=None):
    out = subprocess.run(["curl", "--silent", "--show-error", "--max-time", "20", "--cacert", srv.cert,
                          "--user", "bob:builder", *extra, url],
                         check=True, capture_output=True, timeout=30, input=stdin)
    return out.stdout


def curl(srv, url, *extra):
    return curl_bytes(srv, url, *extra).decode().replace("\r\n", "\n").splitlines()


MESSAGE = (b"From: Ann <ann@example.com>\r\nSubject: curl\r\n"
           b"Content-Type: multipart/mixed; boundary=cc\r\n\r\n"
           b"--cc\r\nContent-Type: text/plain\r\n\r\nfirst part\r\n"
           b"--cc\r\nContent-Type: text/plain\r\n\r\nsecond part\r\n--cc--\r\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    with LemonadeServer(args.lemonade, users={"bob": "builder"}) as srv:
        # The self-signed certificate names localhost and 127.0.0.1.
        got = curl(srv, "imaps://localhost:%d/" % srv.imaps_port)
        if got != EXPECTED:
            raise AssertionError("imaps LIST:\n%s" % "\n".join(got))
        got = curl(srv, "imap://localhost:%d/" % srv.imap_port, "--ssl-reqd")
        if got != EXPECTED:
            raise AssertionError("STARTTLS LIST:\n%s" % "\n".join(got))
        # Upload (APPEND) then fetch over IMAPS (RFC 5092 URLs).
        base = "imaps://localhost:%d/INBOX" % srv.imaps_port
        # curl needs the size up front: upload from a file.
        with tempfile.NamedTemporaryFile() as f:
            f.write(MESSAGE)
            f.flush()
            curl_bytes(srv, base, "-T", f.name)
        got = curl_bytes(srv, base + ";UID=1")
        if got != MESSAGE:
            raise AssertionError("FETCH UID=1: %r" % got)
        got = curl_bytes(srv, base + ";UID=1/;SECTION=2")
        if got != b"second part":
            raise AssertionError("FETCH SECTION=2: %r" % got)
        got = curl_bytes(srv, base + ";UID=1/;SECTION=HEADER.FIELDS%20(SUBJECT)")
        if got != b"Subject: curl\r\n\r\n":
            raise AssertionError("FETCH SECTION=HEADER.FIELDS: %r" % got)
        # A wrong password is refused (curl exits 67: login denied).
        bad = subprocess.run(["curl", "--silent", "--cacert", srv.cert, "--user", "bob:wrong",
                              "imaps://localhost:%d/" % srv.imaps_port], capture_output=True, timeout=30)
        if bad.returncode != 67:
            raise AssertionError("wrong password: curl exit %d" % bad.returncode)
    print("PASS test_curl")


if __name__ == "__main__":
    main()
