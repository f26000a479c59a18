#!/usr/bin/env python3
"""curl as an IMAP client: LIST over implicit TLS and over STARTTLS
(--ssl-reqd), checked line by line."""

import argparse
import os
import subprocess
import sys

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


def curl(srv, url, *extra):
    out = subprocess.run(["curl", "--silent", "--show-error", "--max-time", "20", "--cacert", srv.cert,
                          "--user", "bob:builder", *extra, url],
                         check=True, capture_output=True, timeout=30)
    return out.stdout.decode().replace("\r\n", "\n").splitlines()


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
        # A wrong password is refused (curl exits 67: login denied).
        bad = subprocess.run(["curl", "--silent", "--cacert", srv.cert, "--user", "bob:wrong",
                              "imaps://localhost:%d/" % srv.imaps_port], capture_output=True, timeout=30)
        if bad.returncode != 67:
            raise AssertionError("wrong password: curl exit %d" % bad.returncode)
    print("PASS test_curl_list")


if __name__ == "__main__":
    main()
