#!/usr/bin/env python3
"""An IDLE-ing session must report a change that arrives while it is still
writing its report of an earlier one (RFC 2177: the server sends untagged
EXISTS, EXPUNGE and FETCH while the client idles; nothing says "after the
next event"). The earlier report is made long and the idling client stops
reading, so the server's write of it blocks on a full socket; meanwhile
another session APPENDs. Once the client reads again, the EXISTS must
follow the FETCH responses without any further event. (Before cb4df29 the
wake came while no wait was armed and was lost until DONE: the CI's
differential run met it one time in three; this test meets it every time.)"""

import argparse
import os
import re
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from imap_conn import Conn  # noqa: E402
from lemonade_server import LemonadeServer  # noqa: E402

MESSAGES = 3000
# The FETCH responses (3,000 of ~3.7 kB: thirty 120-octet keywords each)
# must not all fit in the socket buffers: the server's send buffer grows
# to net.ipv4.tcp_wmem's maximum (4 MB on Debian), the idling client's
# receive buffer is kept at 4 kB.
KEYWORDS = b" ".join(b"$k%02d" % i + b"x" * 116 for i in range(30))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    with LemonadeServer(args.lemonade, users={"demo": "secret"}) as srv:
        a, b = Conn(srv.imap_port, rcvbuf=4096), Conn(srv.imap_port)
        for c in (a, b):
            c.command(b"LOGIN demo secret")
        msg = b"Subject: x\r\n\r\nx\r\n"
        done = 0
        while done < MESSAGES:
            k = min(1000, MESSAGES - done)
            b.command(b"APPEND INBOX" + (b" {%d+}\r\n" % len(msg) + msg) * k)
            done += k
        a.command(b"SELECT INBOX")
        b.command(b"SELECT INBOX")
        a.s.sendall(b"i IDLE\r\n")
        if not a.f.readline().startswith(b"+ "):
            raise AssertionError("no IDLE continuation")
        # The long report: a FETCH per message (and a FLAGS for the new
        # keyword), which a cannot take in while it does not read.
        b.command(b"STORE 1:* +FLAGS.SILENT (" + KEYWORDS + b")")
        time.sleep(1.0)  # a's session is now blocked writing its report
        b.command(b"APPEND INBOX {%d+}\r\n" % len(msg) + msg)
        # a reads again: every FETCH, then the EXISTS of the APPEND, with
        # no other event to bring it.
        fetches, exists = 0, None
        a.s.settimeout(10)
        try:
            while exists is None:
                line = a.f.readline()
                if not line:
                    raise AssertionError("connection closed while idling")
                if re.match(rb"\* \d+ FETCH ", line):
                    fetches += 1
                elif line.endswith(b" EXISTS\r\n"):
                    exists = int(line.split()[1])
        except socket.timeout:
            raise AssertionError("no EXISTS within 10 s after %d FETCH responses: the wake during the report was lost"
                                 % fetches) from None
        if fetches != MESSAGES or exists != MESSAGES + 1:
            raise AssertionError("%d FETCH responses, EXISTS %r" % (fetches, exists))
        a.s.sendall(b"DONE\r\n")
        while not a.f.readline().startswith(b"i OK"):
            pass
    print("PASS test_idle_wake_during_flush (%d FETCH responses, then * %d EXISTS)" % (fetches, exists))


if __name__ == "__main__":
    main()
