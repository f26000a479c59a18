#!/usr/bin/env python3
"""A full disk (issue 12 §3): the data directory on a small tmpfs is filled
with mail until the server refuses more. APPEND and COPY then get
NO [OVERQUOTA] with a human text (RFC 5530), the log says what is full,
and the user can still SELECT, FETCH, STORE and EXPUNGE, also after a
restart; once mail is deleted, APPEND works again. Submission (issue 14)
answers a message it cannot write with 452 4.3.1 and goes on. Needs to mount a tmpfs:
as root, or in a user and mount namespace of its own (unshare)."""

import argparse
import os
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402

TMPFS_SIZE = "24m"
MIN_FREE = "4MB"
MESSAGE = b"Subject: filler\r\n\r\n" + b"x" * (256 * 1024 - 20) + b"\r\n"


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.f = self.s.makefile("rb")
        self.f.readline()
        self.n = 0

    def command(self, text, literal=None):
        self.n += 1
        tag = b"t%d" % self.n
        data = tag + b" " + text.encode()
        if literal is not None:
            data += b" {%d+}\r\n" % len(literal) + literal
        self.s.sendall(data + b"\r\n")
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                raise AssertionError("connection closed during %s" % text)
            m = re.search(rb"\{(\d+)\}\r\n$", line)
            if m:
                line += self.f.read(int(m.group(1))) + self.f.readline()
            if line.startswith(tag + b" "):
                return line.decode(errors="replace").strip(), lines
            lines.append(line)

    def ok(self, text, literal=None):
        status, lines = self.command(text, literal)
        if not status.split()[1] == "OK":
            raise AssertionError("%s: %s" % (text, status))
        return lines


def in_namespace():
    """Re-run inside a new user and mount namespace, where mounting a
    tmpfs needs no privilege; True if that was done (and passed)."""
    if os.environ.get("LEMONADE_DISK_FULL_NS"):
        return False
    env = dict(os.environ, LEMONADE_DISK_FULL_NS="1")
    r = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", sys.executable] + sys.argv, env=env)
    sys.exit(r.returncode)


def mount_tmpfs(path):
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + TMPFS_SIZE, "tmpfs", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        if os.geteuid() == 0 and not os.environ.get("LEMONADE_DISK_FULL_NS"):
            raise AssertionError("cannot mount a tmpfs: " + r.stderr.strip())
        in_namespace()
        raise AssertionError("cannot mount a tmpfs in a namespace either: " + r.stderr.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    if os.geteuid() != 0:
        in_namespace()
    top = tempfile.mkdtemp(prefix="lemonade-diskfull-")
    mount_tmpfs(top)
    try:
        run(args.lemonade, os.path.join(top, "data"))
    finally:
        subprocess.run(["umount", "-l", top], check=False)
        shutil.rmtree(top, ignore_errors=True)
    print("PASS test_disk_full")


def run(binary, data_dir):
    opts = ["limits.min_free_space=" + MIN_FREE]
    srv = LemonadeServer(binary, users={"demo": "secret"}, options=opts, data_dir=data_dir)
    srv.start()
    try:
        c = Client(srv.imap_port)
        c.ok("LOGIN demo secret")
        c.ok("SELECT INBOX")
        appended = 0
        while True:
            status, _ = c.command("APPEND INBOX", MESSAGE)
            if " OK " in status + " ":
                appended += 1
                if appended > 200:
                    raise AssertionError("the 24 MB disk never filled up")
                continue
            if not status.startswith("t%d NO [OVERQUOTA] " % c.n):
                raise AssertionError("APPEND on a full disk: %s" % status)
            break
        if appended < 5:
            raise AssertionError("only %d messages fitted" % appended)
        status, _ = c.command("COPY 1 Archive")
        if not status.startswith("t%d NO [OVERQUOTA] " % c.n):
            raise AssertionError("COPY on a full disk: %s" % status)
        with open(srv.log_path, "rb") as f:
            if b"event=disk_full" not in f.read():
                raise AssertionError("the log does not say the disk is full")
        # Reading, flagging and deleting go on.
        check_usable(c)
    finally:
        srv.stop()
    # Submission on the full disk with no reserve kept: the message's file
    # cannot be written; 452 4.3.1 once DATA ends, and the session goes on.
    srv = LemonadeServer(binary, options=["limits.min_free_space=0"], data_dir=data_dir)
    srv.start()
    try:
        big = b"Subject: big\r\n\r\n" + (b"y" * 998 + b"\r\n") * 9000
        with smtplib.SMTP("127.0.0.1", srv.submission_port) as s:
            s.login("demo", "secret")
            s.mail("demo@localhost")
            s.rcpt("demo@localhost")
            code, resp = s.data(big)
            if code != 452 or not resp.startswith(b"4.3.1"):
                raise AssertionError("DATA on a full disk: %d %r" % (code, resp))
            if s.noop()[0] != 250:
                raise AssertionError("the session did not go on after 452")
    finally:
        srv.stop()
    # After a restart too (the account opens, SELECT works).
    srv = LemonadeServer(binary, options=opts, data_dir=data_dir)
    srv.start()
    try:
        c = Client(srv.imap_port)
        c.ok("LOGIN demo secret")
        check_usable(c)
        c.ok("STORE 1:* +FLAGS.SILENT (\\Deleted)")
        c.ok("EXPUNGE")
        c.ok("NOOP")  # a write after the expunge reclaims the space
        c.ok("APPEND INBOX", MESSAGE)
    finally:
        srv.stop()


def check_usable(c):
    lines = c.ok("SELECT INBOX")
    if not any(l.endswith(b" EXISTS\r\n") for l in lines):
        raise AssertionError("SELECT without EXISTS: %r" % lines)
    lines = c.ok("FETCH 1 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    if not any(b"Subject: filler" in l for l in lines):
        raise AssertionError("FETCH on a full disk: %r" % lines)
    c.ok("STORE 1 +FLAGS (\\Flagged)")
    c.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
    lines = c.ok("EXPUNGE")
    if lines[:1] != [b"* 2 EXPUNGE\r\n"]:
        raise AssertionError("EXPUNGE on a full disk: %r" % lines)


if __name__ == "__main__":
    main()
