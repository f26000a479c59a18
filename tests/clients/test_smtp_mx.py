#!/usr/bin/env python3
"""MX delivery (issue 14; RFC 5321 §5.1, RFC 7505, RFC 3207): without a
smarthost the queue looks up each recipient domain's mail exchangers in
the DNS (c-ares, pointed by relay.dns_servers at a DNS server of the
test's own on loopback) and hands the message to them, Postfix playing
every exchanger (relay.mx_port points at its smtpd):

- remote.test: MX 10 names a host that does not exist, MX 20 a host with
  only an IPv6 address where nothing listens ([::1], refused), MX 30 the
  Postfix host: tried in preference order, delivered by the third, over
  STARTTLS;
- implicit.test has no MX but an address: RFC 5321 §5.1 "the domain name
  ... is treated as if it was associated with an implicit MX RR";
- nullmx.test publishes "MX 0 ." (RFC 7505): failed at once, 556 5.1.10,
  nothing connected;
- nxdomain.test does not exist: failed, 550 5.1.2;
- broken.test answers SERVFAIL: kept in the queue (451 4.4.3) for later.
The failures come back to the sender as one delivery report.

Usage: test_smtp_mx.py --lemonade BIN"""

import argparse
import os
import re
import shutil
import smtplib
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from dns_server import DnsServer  # noqa: E402
from lemonade_server import LemonadeServer  # noqa: E402
from mail_checks import inbox, self_signed  # noqa: E402
from postfix_server import PostfixServer, available  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


ZONE = {
    "remote.test": {"MX": [(30, "pf.remote.test"), (10, "gone.remote.test"), (20, "v6.remote.test")]},
    "v6.remote.test": {"AAAA": ["::1"]},
    "pf.remote.test": {"A": ["127.0.0.1"]},
    "implicit.test": {"A": ["127.0.0.1"]},
    "nullmx.test": {"MX": [(0, ".")]},
    "broken.test": {},
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    if not available() or os.geteuid() != 0:
        print("FAIL Postfix must be installed and the tests run as root (scripts/test.sh does both)")
        return 1
    work = tempfile.mkdtemp(prefix="lemonade-mx-")
    cert, key = self_signed(work, "pf.remote.test")
    dns = DnsServer(ZONE, servfail={"broken.test"})
    pf = PostfixServer(tls_cert=cert, tls_key=key, domains=("remote.test", "implicit.test"))
    pf.start()
    lem = LemonadeServer(args.lemonade, users={"alice": "pw"},
                         options=['server.domains=["lemonade.test"]', "server.hostname=lemonade.test",
                                  'relay.dns_servers=["127.0.0.1:%d"]' % dns.port,
                                  "relay.mx_port=%d" % pf.smtp_port])
    try:
        lem.start()
        run(lem, pf, dns)
    finally:
        lem.stop()
        pf.stop(keep=True)
        dns.close()
        if failures:
            print(lem.log()[-3000:])
            print(pf.log()[-3000:])
        pf.stop()
        lem.close()
        shutil.rmtree(work, ignore_errors=True)
    print("%d failures" % len(failures))
    return 1 if failures else 0


def run(lem, pf, dns):
    msg = (b"From: alice@lemonade.test\r\nTo: bob@remote.test\r\nSubject: by MX\r\nDate: Fri, 04 Dec 2026 13:00:00 +0000\r\n"
           b"Message-ID: <mx-1@lemonade.test>\r\n\r\nRouted by the DNS.\r\n.dot\r\n")
    rcpts = ["bob@remote.test", "bob@implicit.test", "x@nullmx.test", "y@nxdomain.test", "z@broken.test"]
    with smtplib.SMTP("127.0.0.1", lem.submission_port) as s:
        s.login("alice", "pw")
        refused = s.sendmail("alice@lemonade.test", rcpts, msg)
        check(refused == {}, "every remote recipient accepted at RCPT (relay.mx on)")
    got = pf.wait_maildir("bob", 1)
    check(len(got) == 1 and got[0].endswith(msg.replace(b"\r\n", b"\n")),
          "remote.test: delivered to the MX 30 host after MX 10 (no such host) and MX 20 (refused)")
    if got:
        check(re.search(rb"by postfix\.test \(Postfix\) with ESMTPS", got[0]) is not None,
              "remote.test: over STARTTLS (RFC 3207), as the exchanger offered it")
    log = lem.log()
    order = re.findall(r"event=mx_attempt domain=remote\.test host=(\S+) address=(\S+)", log)
    check(order == [("v6.remote.test", "::1"), ("pf.remote.test", "127.0.0.1")],
          "remote.test: exchangers tried in preference order, the one without an address skipped: %r" % order)
    got = pf.wait_maildir("bob@implicit.test", 1)
    check(len(got) == 1, "implicit.test: no MX, delivered to the domain's own address (implicit MX)")
    check(("nullmx.test", "A") not in dns.queries and ("nullmx.test", "AAAA") not in dns.queries,
          "nullmx.test: no address looked up for a null MX")
    reports = inbox(lem.imap_port, "alice", "pw", 1)
    check(len(reports) == 1, "alice got one delivery report (%d)" % len(reports))
    if reports:
        r = reports[0]
        check(b"Final-Recipient: rfc822; x@nullmx.test\r\nAction: failed\r\nStatus: 5.1.10" in r,
              "the report: x@nullmx.test failed, 5.1.10 (RFC 7505 §4.1)")
        check(b"Final-Recipient: rfc822; y@nxdomain.test\r\nAction: failed\r\nStatus: 5.1.2" in r,
              "the report: y@nxdomain.test failed, 5.1.2")
        check(len(re.findall(rb"Final-Recipient: ", r)) == 2, "the report names only the two failed recipients")
    out = subprocess.run([lem.binary, "queue", "list", "--data-dir", lem.data_dir], capture_output=True).stdout
    check(b"1/5 recipients pending" in out, "broken.test waits in the queue: %r" % out)
    show = subprocess.run([lem.binary, "queue", "show", out.split()[0].decode(), "--data-dir", lem.data_dir],
                          capture_output=True).stdout if out.split() else b""
    check(b"<z@broken.test> pending" in show and b"451 4.4.3" in show,
          "queue show: z@broken.test pending after a DNS failure (451 4.4.3)")


if __name__ == "__main__":
    sys.exit(main())
