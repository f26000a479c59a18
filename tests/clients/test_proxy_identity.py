"""Proxy identities with Python's imaplib (issue 16): SCRAM-SHA-256 as
"alice+phone" (RFC 7677) with the identity's own password; `lemonade user
proxy allow` and `del` while the identity is logged in end its session
(* BYE) within server.user_check_interval, and the next login gets the new
grant or none."""

import argparse
import imaplib
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
sys.path.insert(0, os.path.dirname(__file__))
from lemonade_server import LemonadeServer  # noqa: E402
from test_python_imaplib import Scram, expect, tls_context  # noqa: E402


def cli(srv, *args):
    out = subprocess.run([srv.binary, "user", "proxy", *args, "--data-dir", srv.data_dir],
                         capture_output=True, text=True)
    return out.returncode, out.stdout + out.stderr


def login(srv, user, password):
    m = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    m.login(user, password)
    return m


def ended(m, what):
    """The server ends the session with BYE: imaplib raises abort."""
    deadline = time.time() + 10
    while time.time() < deadline:
        try:
            m.noop()
        except imaplib.IMAP4.abort as e:
            expect("Proxy identity revoked or changed" in str(e), True, what + ": " + str(e))
            return
        time.sleep(0.2)
    raise AssertionError(what + ": the session was not ended")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    with LemonadeServer(args.lemonade, users={"alice": "correct horse"},
                        options=["server.user_check_interval=200ms"],
                        proxies=[("alice", "phone", "relay pw")]) as srv:
        # SCRAM with the identity's credentials, not alice's.
        m = imaplib.IMAP4_SSL("127.0.0.1", srv.imaps_port, ssl_context=tls_context(srv))
        auth = Scram("alice+phone", "relay pw")
        expect(m.authenticate("SCRAM-SHA-256", auth)[0], "OK", "SCRAM as a proxy identity")
        expect(auth.step, 3, "SCRAM steps")
        m.select("INBOX")
        typ, data = m.expunge()
        expect((typ, data), ("NO", [b"[NOPERM] EXPUNGE is not allowed to this proxy identity (it needs the expunge allowance)"]),
               "EXPUNGE refused")
        m.logout()
        m = imaplib.IMAP4_SSL("127.0.0.1", srv.imaps_port, ssl_context=tls_context(srv))
        try:
            m.authenticate("SCRAM-SHA-256", Scram("alice+phone", "correct horse"))
            raise AssertionError("SCRAM as alice+phone with alice's password succeeded")
        except imaplib.IMAP4.error as e:
            expect(str(e), "[AUTHENTICATIONFAILED] Authentication failed", "SCRAM with the user's password")

        expect(cli(srv, "list", "alice"), (0, "alice+phone none\n"), "proxy list")
        # A changed grant ends the open session; the next login has it.
        m = login(srv, "alice+phone", "relay pw")
        m.select("INBOX")
        expect(cli(srv, "allow", "alice", "phone", "expunge"), (0, "alice+phone allowed: expunge\n"), "proxy allow")
        ended(m, "allowance changed")
        m = login(srv, "alice+phone", "relay pw")
        m.select("INBOX")
        expect(m.expunge()[0], "OK", "EXPUNGE allowed now")
        # alice's own session is not a proxy's: it stays.
        own = login(srv, "alice", "correct horse")
        expect(cli(srv, "del", "alice", "phone"), (0, "removed proxy identity alice+phone\n"), "proxy del")
        ended(m, "identity removed")
        time.sleep(0.5)
        expect(own.noop()[0], "OK", "the user's own session goes on")
        own.logout()
        try:
            login(srv, "alice+phone", "relay pw")
            raise AssertionError("a removed proxy identity logged in")
        except imaplib.IMAP4.error as e:
            expect(str(e), "b'[AUTHENTICATIONFAILED] Authentication failed'", "removed identity")
        expect(cli(srv, "del", "alice", "phone"), (2, "lemonade: no such proxy identity\n"), "del twice")
        expect(cli(srv, "list", "alice"), (0, ""), "no identities left")
        # Removed and added again under the same label and grant within one
        # check interval: the session of the old password still ends.
        subprocess.run([srv.binary, "user", "proxy", "add", "alice", "--label", "tab", "--data-dir", srv.data_dir],
                       input=b"old pw\n", check=True, stdout=subprocess.DEVNULL)
        time.sleep(0.5)
        m = login(srv, "alice+tab", "old pw")
        cli(srv, "del", "alice", "tab")
        subprocess.run([srv.binary, "user", "proxy", "add", "alice", "--label", "tab", "--data-dir", srv.data_dir],
                       input=b"new pw\n", check=True, stdout=subprocess.DEVNULL)
        ended(m, "identity added again with a new password")
        login(srv, "alice+tab", "new pw").logout()
        # A separator user names may hold would make "alice.tab" ambiguous.
        out = subprocess.run([srv.binary, "user", "list", "--data-dir", srv.data_dir, "-o", "auth.proxy_separator=."],
                             capture_output=True, text=True)
        expect((out.returncode, out.stderr),
               (2, "lemonade: auth.proxy_separator: not a character user names may hold (letters, digits, . _ - @), "
                   "a space or a control\n"), "separator refused")
    print("PASS test_proxy_identity")


if __name__ == "__main__":
    main()
