"""`lemonade proxy` routing users to several backends, with failover
(src/proxy/routes.hpp, docs/proxy.md "Routing and failover"): two Debian
Dovecots, A and B, each with its own users and mail.

- proxy.routes sends alice to A, bob and every user @example.org to B,
  the rest (proxy.backend) to A; each sees its own backend's mail;
- a route whose first backend is down (nothing listens there) fails over
  to the next: the login succeeds, and the log says backend_failover
  with both names; the next login (within proxy.backend_retry) goes to
  the live one without trying the dead one;
- a route whose backends are all down: NO [UNAVAILABLE];
- a wrong password is the user's answer: the next backend of the route
  never hears it (its log shows no login);
- a user's own line wins over its domain's;
- the file changed while the proxy runs: the next login follows the new
  route, without a restart (a user no longer listed goes to
  proxy.backend); a file with an error keeps the routes read before, with
  routes_reload_failed in the log;
- proxy.max_per_address and proxy.max_per_backend: a connection past the
  first refused with * BYE [UNAVAILABLE]; a login past the second goes to
  the route's next backend, and with none free gets NO [UNAVAILABLE];
- a routes file with an error, or an imap:// route to another host,
  stops `lemonade proxy` at start-up with the file and line (exit 2)."""

import argparse
import imaplib
import os
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from dovecot_server import Dovecot  # noqa: E402
from lemonade_server import free_port  # noqa: E402
from test_proxy import Proxy  # noqa: E402
from test_python_imaplib import expect  # noqa: E402

A_USERS = {"alice": "alice pw", "carol": "carol pw", "erin@example.org": "erin pw"}
B_USERS = {"bob": "bob pw", "dave@example.org": "dave pw", "erin@example.org": "erin pw"}


def subjects(port, user, password):
    c = imaplib.IMAP4("127.0.0.1", port)
    c.login(user, password)
    c.select("INBOX")
    typ, data = c.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    c.logout()
    return sorted(d[1].strip() for d in data if isinstance(d, tuple))


def write_routes(path, text):
    # A new mtime even within the file system's timestamp granularity.
    before = os.stat(path).st_mtime_ns if os.path.exists(path) else 0
    with open(path, "w") as f:
        f.write(text)
    if os.stat(path).st_mtime_ns == before:
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    a, b = Dovecot(A_USERS), Dovecot(B_USERS)
    with a, b:
        for user in A_USERS:
            append_direct_to(a, user, A_USERS[user], b"Subject: on A for %s\r\n\r\nx\r\n" % user.encode())
        for user in B_USERS:
            append_direct_to(b, user, B_USERS[user], b"Subject: on B for %s\r\n\r\nx\r\n" % user.encode())
        dead = free_port()  # nothing listens there
        work = tempfile.mkdtemp(prefix="lemonade-routes-")
        routes = os.path.join(work, "routes")
        write_routes(routes, """# user or @domain, then backends
alice            imap://127.0.0.1:%d
bob              imap://127.0.0.1:%d
@Example.org     imap://127.0.0.1:%d
carol            imap://127.0.0.1:%d , imap://127.0.0.1:%d
nobody           imap://127.0.0.1:%d,imap://127.0.0.1:%d
ERIN@example.org imap://127.0.0.1:%d,imap://127.0.0.1:%d
""" % (a.imap_port, b.imap_port, b.imap_port, dead, a.imap_port, dead, dead, a.imap_port, b.imap_port))
        # The default route is B: a user whose route changes lands elsewhere.
        px = Proxy(args.lemonade, "imap://127.0.0.1:%d" % b.imap_port, options=("proxy.routes=" + routes,))
        try:
            expect(subjects(px.port, "alice", "alice pw"), [b"Subject: on A for alice"], "alice on A")
            expect(subjects(px.port, "bob", "bob pw"), [b"Subject: on B for bob"], "bob on B")
            expect(subjects(px.port, "DAVE@example.org", "dave pw"), [b"Subject: on B for dave@example.org"],
                   "a user of @example.org on B (names compare case-insensitively)")
            expect(subjects(px.port, "erin@example.org", "erin pw"), [b"Subject: on A for erin@example.org"],
                   "erin's own line (A first) wins over her domain's (B)")
            expect(subjects(px.port, "carol", "carol pw"), [b"Subject: on A for carol"],
                   "carol's first backend is down: the second answers")
            log = px.log()
            expect(("event=backend_failover user=\"carol\" from=127.0.0.1:%d to=127.0.0.1:%d" % (dead, a.imap_port)) in log,
                   True, "the failover in the log: %s" % log[-1500:])
            # Within proxy.backend_retry the dead backend goes last: the
            # next login tries A first, and never the dead one.
            tried = "event=backend_unavailable user=\"carol\" backend=127.0.0.1:%d" % dead
            expect(subjects(px.port, "carol", "carol pw"), [b"Subject: on A for carol"], "carol again")
            expect(px.log().count(tried), 1, "the dead backend not tried again at once")
            c = imaplib.IMAP4("127.0.0.1", px.port)
            try:
                c.login("nobody", "x")
                raise AssertionError("a login with every backend down succeeded")
            except imaplib.IMAP4.error as e:
                expect(str(e).startswith("b'[UNAVAILABLE]"), True, "every backend down: %s" % e)
            c.logout()
            # A wrong password is an answer: erin's second backend (B) never
            # hears it.
            b_logins = b.log().count("erin@example.org")
            c = imaplib.IMAP4("127.0.0.1", px.port)
            try:
                c.login("erin@example.org", "wrong")
                raise AssertionError("a wrong password logged in")
            except imaplib.IMAP4.error:
                pass
            c.logout()
            time.sleep(0.5)
            expect(("backend_failover user=\"erin@example.org\"" in px.log(), b.log().count("erin@example.org")),
                   (False, b_logins), "no failover after a NO to LOGIN: %s" % b.log()[-600:])

            # The file changes: erin goes to B by a line of her own; alice,
            # no longer listed, by proxy.backend (B, where she has no account).
            write_routes(routes, "erin@example.org imap://127.0.0.1:%d\n" % b.imap_port)
            expect(subjects(px.port, "erin@example.org", "erin pw"), [b"Subject: on B for erin@example.org"],
                   "the new route at the next login, without a restart")
            try:
                subjects(px.port, "alice", "alice pw")
                raise AssertionError("alice still reached A")
            except imaplib.IMAP4.error:
                pass
            expect("event=routes_loaded" in px.log(), True, "the reload logged")
            write_routes(routes, "erin@example.org imap://127.0.0.1:%d\n" % a.imap_port)
            expect(subjects(px.port, "erin@example.org", "erin pw"), [b"Subject: on A for erin@example.org"],
                   "and back to A")
            write_routes(routes, "erin@example.org nonsense://x\n")
            expect(subjects(px.port, "erin@example.org", "erin pw"), [b"Subject: on A for erin@example.org"],
                   "a broken file keeps the routes read before (not the default, B)")
            expect("event=routes_reload_failed" in px.log() and (routes + ":1:") in px.log(), True,
                   "the broken file in the log, with its line: %s" % px.log()[-800:])
        finally:
            px.stop()

        limits(args, a, b)

        # Start-up refuses a broken file, and imap:// to another host.
        for text, words in (("alice imap://127.0.0.1:%d\nbob\n" % a.imap_port, routes + ":2: a name and its backends"),
                            ("alice imap://192.0.2.1:143\n", routes + ":1: imap://192.0.2.1 would send passwords"),
                            ("alice imap://127.0.0.1:1\nALICE imap://127.0.0.1:2\n", routes + ":2: \"alice\" twice")):
            write_routes(routes, text)
            out = subprocess.run([args.lemonade, "proxy", "--backend", "imap://127.0.0.1:%d" % a.imap_port,
                                  "--data-dir", tempfile.mkdtemp(prefix="lemonade-proxy-"),
                                  "-o", "proxy.listen=127.0.0.1:%d" % free_port(), "-o", "proxy.routes=" + routes],
                                 capture_output=True, timeout=30)
            expect((out.returncode, words in out.stderr.decode()), (2, True),
                   "start-up with a broken routes file: %r" % out.stderr.decode()[-400:])
    print("proxy routes: OK")


def limits(args, a, b):
    """proxy.max_per_address 3, proxy.max_per_backend 1, the default route
    A then B: a fourth connection from 127.0.0.1 is refused; a login while
    A holds its one session goes to B; with both full, NO [UNAVAILABLE]."""
    px = Proxy(args.lemonade, "imap://127.0.0.1:%d, imap://127.0.0.1:%d" % (a.imap_port, b.imap_port),
               options=("proxy.max_per_address=3", "proxy.max_per_backend=1"))
    try:
        first = imaplib.IMAP4("127.0.0.1", px.port)
        first.login("erin@example.org", "erin pw")
        second = imaplib.IMAP4("127.0.0.1", px.port)
        second.login("erin@example.org", "erin pw")
        third = imaplib.IMAP4("127.0.0.1", px.port)
        for c, where in ((first, b"A"), (second, b"B")):
            c.select("INBOX", readonly=True)
            typ, data = c.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            expect(data[0][1].strip(), b"Subject: on %s for erin@example.org" % where,
                   "A holds one session: the next goes to B")
        s = socket.create_connection(("127.0.0.1", px.port))
        expect(s.makefile("rb").readline(), b"* BYE [UNAVAILABLE] Too many connections from your address;"
               b" try again later\r\n", "a fourth connection from one address (RFC 5530 UNAVAILABLE)")
        s.close()
        try:
            third.login("erin@example.org", "erin pw")
            raise AssertionError("a login with every backend full succeeded")
        except imaplib.IMAP4.error as e:
            expect(str(e), "b'[UNAVAILABLE] The mail server is busy; try again later'", "both backends full")
        first.logout()
        time.sleep(0.3)
        third.login("erin@example.org", "erin pw")
        third.select("INBOX", readonly=True)
        typ, data = third.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        expect(data[0][1].strip(), b"Subject: on A for erin@example.org", "A's slot free again")
        third.logout()
        second.logout()
        log = px.log()
        expect(("event=backend_full user=\"erin@example.org\" backend=127.0.0.1:%d sessions=1" % a.imap_port) in log,
               True, "the full backend in the log")
        expect("reason=max_per_address" in log, True, "the refusal in the log")
    finally:
        px.stop()


def append_direct_to(dc, user, password, text):
    c = imaplib.IMAP4("127.0.0.1", dc.imap_port)
    c.login(user, password)
    c.append("INBOX", None, None, text)
    c.logout()


if __name__ == "__main__":
    main()
