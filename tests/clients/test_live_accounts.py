#!/usr/bin/env python3
"""Accounts changed with `lemonade user` while the server runs take effect
at once (issue 12 §3): a user added can log in, a changed password
replaces the old one, a deleted user can no longer log in, all without a
restart. Python imaplib as the client.

The verified-password cache (auth.cache_ttl) must not change any of that:
a client that logs in again with the same password skips argon2id (the
login log line says auth=cache), but a changed password, a deleted and
re-added user, or a wrong password always go to argon2id."""

import argparse
import imaplib
import os
import re
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402


def user(binary, data_dir, *args, password=None):
    subprocess.run([binary, "user", *args, "--data-dir", data_dir],
                   input=(password + "\n").encode() if password else b"", check=True,
                   stdout=subprocess.DEVNULL)


def can_login(port, name, password):
    m = imaplib.IMAP4("127.0.0.1", port)
    try:
        m.login(name, password)
        m.logout()
        return True
    except imaplib.IMAP4.error as e:
        if b"AUTHENTICATIONFAILED" not in str(e).encode():
            raise
        return False


def expect(value, wanted, what):
    if value != wanted:
        raise AssertionError("%s: expected %r, got %r" % (what, wanted, value))


def auth_methods(srv, name):
    """The auth= of every login of name so far, in order."""
    return re.findall(r'event=login user="%s" auth=(\w+)' % re.escape(name), srv.log())


class Raw:
    """A plain-socket session, to see exactly what the server sends."""

    def __init__(self, port, name, password):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = self.s.makefile("rb")
        self.f.readline()
        self.send('a LOGIN %s "%s"' % (name, password))
        expect(self.until(b"a ")[-1][:4], b"a OK", "login of " + name)

    def send(self, line):
        self.s.sendall(line.encode() + b"\r\n")

    def until(self, prefix):
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                raise AssertionError("connection closed after %r" % lines)
            lines.append(line)
            if line.startswith(prefix):
                return lines

    def rest(self):
        """Everything until the server closes the connection."""
        out = []
        while True:
            line = self.f.readline()
            if not line:
                return out
            out.append(line)


def deleted_while_connected(binary, port, d):
    """`lemonade user del` of a user with open sessions: RFC 3501 §7.1.5
    "The BYE response is always untagged, and indicates that the server is
    about to close the connection". Each of the user's sessions, selected
    or in IDLE, gets `* BYE` and is closed; other users' sessions go on;
    the user added again later gets a new, empty account, not the deleted
    one's store the server still had open."""
    user(binary, d, "add", "carol", password="pw5")
    selected = Raw(port, "carol", "pw5")
    selected.send("b APPEND INBOX {21+}\r\nSubject: old mail\r\n\r\n")
    expect(selected.until(b"b ")[-1][:4], b"b OK", "carol's APPEND")
    selected.send("c SELECT INBOX")
    expect(selected.until(b"c ")[-1][:4], b"c OK", "carol's SELECT")
    idling = Raw(port, "carol", "pw5")
    idling.send("i IDLE")
    idling.until(b"+ ")
    other = Raw(port, "alice", "pw3")
    user(binary, d, "del", "carol")
    start = time.time()
    for name, session in (("selected", selected), ("idling", idling)):
        rest = session.rest()
        expect(rest, [b"* BYE Account deleted\r\n"], "carol's %s session after user del" % name)
    if time.time() - start > 5:
        raise AssertionError("the BYE took %.1f s" % (time.time() - start))
    other.send("n NOOP")
    expect(other.until(b"n ")[-1], b"n OK NOOP completed\r\n", "alice's session after carol's deletion")
    other.send("z LOGOUT")
    other.rest()
    user(binary, d, "add", "carol", password="pw5")
    again = Raw(port, "carol", "pw5")
    again.send("s SELECT INBOX")
    expect([l for l in again.until(b"s ") if l.endswith(b" EXISTS\r\n")], [b"* 0 EXISTS\r\n"],
           "carol added again: a new, empty INBOX")
    again.send("z LOGOUT")
    again.rest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    # No failure delay: this test fails logins on purpose.
    with LemonadeServer(args.lemonade, users={"alice": "pw1"},
                        options=["auth.failure_delay=0", "auth.max_failures=1000"]) as srv:
        port, d = srv.imap_port, srv.data_dir
        expect(can_login(port, "alice", "pw1"), True, "alice before any change")
        expect(can_login(port, "alice", "wrong"), False, "alice, wrong password after a cached login")
        expect(can_login(port, "alice", "pw1"), True, "alice again")
        expect(auth_methods(srv, "alice"), ["argon2id", "cache"], "alice's logins")
        user(args.lemonade, d, "add", "bob", password="pw2")
        expect(can_login(port, "bob", "pw2"), True, "bob, added while the server runs")
        user(args.lemonade, d, "passwd", "alice", password="pw3")
        expect(can_login(port, "alice", "pw1"), False, "alice's old password")
        expect(can_login(port, "alice", "pw3"), True, "alice's new password")
        expect(auth_methods(srv, "alice"), ["argon2id", "cache", "argon2id"], "alice's logins after passwd")
        user(args.lemonade, d, "del", "bob")
        expect(can_login(port, "bob", "pw2"), False, "bob, deleted")
        # Added again: a new, empty account.
        user(args.lemonade, d, "add", "bob", password="pw4")
        m = imaplib.IMAP4("127.0.0.1", port)
        m.login("bob", "pw4")
        expect(m.select("INBOX"), ("OK", [b"0"]), "bob's new INBOX")
        m.logout()
        # Deleted and added again with the password he had: a new hash, so
        # no stale cache entry answers for it.
        user(args.lemonade, d, "del", "bob")
        user(args.lemonade, d, "add", "bob", password="pw2")
        expect(can_login(port, "bob", "pw2"), True, "bob, added again with his first password")
        expect(auth_methods(srv, "bob"), ["argon2id", "argon2id", "argon2id"], "bob's logins")
        # Several `user add` at once (an operator's script): each waits its
        # turn for the users database instead of failing "database is
        # locked".
        procs = [subprocess.Popen([args.lemonade, "user", "add", "batch%d" % i, "--data-dir", d],
                                  stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                 for i in range(6)]
        for i, p in enumerate(procs):
            _, err = p.communicate(b"pw%d\n" % i)
            expect((p.returncode, err), (0, b""), "concurrent user add %d" % i)
        expect(can_login(port, "batch5", "pw5"), True, "a user added concurrently")
        deleted_while_connected(args.lemonade, port, d)
    print("PASS test_live_accounts")


if __name__ == "__main__":
    main()
