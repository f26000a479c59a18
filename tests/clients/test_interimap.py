#!/usr/bin/env python3
"""interimap (Debian package `interimap`) keeps two accounts of one server
in step, both ways, across repeated runs. interimap works only through
QRESYNC (RFC 7162 §3.2.5: SELECT ... (QRESYNC (...)), VANISHED (EARLIER),
FETCH ... MODSEQ) plus LIST-STATUS and UIDPLUS.

  run 1: the two accounts start different; afterwards they hold the same
         mailboxes, messages (bodies, INTERNALDATE) and flags;
  run 2: after changes on each side through imaplib (APPEND, flag changes,
         a flag conflict, EXPUNGE, UID MOVE, a new mailbox each), the same
         again, and the changes themselves are where they should be;
  run 3: nothing changed, so interimap sends no APPEND, STORE, EXPUNGE or
         CREATE, and no mailbox's MESSAGES/UIDNEXT/HIGHESTMODSEQ moves.

The [local] side connects with STARTTLS, the [remote] side with implicit
TLS, both verifying the server's self-signed certificate. --dovecot runs
the same test against a throwaway Dovecot (plain IMAP) to check the test.
"""

import argparse
import hashlib
import imaplib
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from dovecot_server import Dovecot  # noqa: E402
from lemonade_server import LemonadeServer  # noqa: E402

USERS = {"alice": "alice-pw", "bob": "bob-pw"}
INSTALL_HINT = ("interimap is not installed: run scripts/install-deps.sh "
                "(it installs the Debian package `interimap`)")


def expect(value, wanted, what):
    if value != wanted:
        raise AssertionError("%s: expected %r, got %r" % (what, wanted, value))


def message(subject, body="hello"):
    return ("From: test@example.com\r\nTo: someone@example.com\r\nSubject: %s\r\n"
            "Message-ID: <%s@interimap.test>\r\nDate: Mon, 2 Mar 2026 10:00:00 +0000\r\n\r\n%s\r\n"
            % (subject, subject.replace(" ", "-"), body)).encode()


class Target:
    """How to reach the server under test: imaplib connections for the
    checks and the [local]/[remote] sections of interimap's config."""

    def __init__(self, srv, tls):
        self.srv = srv
        self.tls = tls

    def connect(self, user):
        if self.tls:
            ctx = ssl.create_default_context(cafile=self.srv.cert)
            m = imaplib.IMAP4_SSL("127.0.0.1", self.srv.imaps_port, ssl_context=ctx)
        else:
            m = imaplib.IMAP4("127.0.0.1", self.srv.imap_port)
        m.login(user, USERS[user])
        return m

    def section(self, user, implicit_tls):
        lines = ["host = 127.0.0.1", "username = %s" % user, "password = %s" % USERS[user]]
        if not self.tls:
            lines += ["type = imap", "port = %d" % self.srv.imap_port, "STARTTLS = NO"]
        elif implicit_tls:
            lines += ["type = imaps", "port = %d" % self.srv.imaps_port,
                      "SSL_CAfile = %s" % self.srv.cert, "SSL_verify = YES"]
        else:
            lines += ["type = imap", "port = %d" % self.srv.imap_port, "STARTTLS = YES",
                      "SSL_CAfile = %s" % self.srv.cert, "SSL_verify = YES"]
        return "\n".join(lines) + "\n"


def mailboxes(m):
    typ, data = m.list('""', "*")
    expect(typ, "OK", "LIST")
    names = []
    for line in data:
        if isinstance(line, tuple):
            line = line[0] + line[1]
        flags = line.split(b")")[0]
        if b"\\Noselect" in flags or b"\\NonExistent" in flags:
            continue
        name = line.rsplit(b" ", 1)[1] if not line.endswith(b'"') else b'"' + line.rsplit(b' "', 1)[1]
        names.append(name.decode().strip('"'))
    return sorted(names)


def content(m, box):
    """A mailbox as a sorted list of (subject, body hash, INTERNALDATE, flags)."""
    typ, data = m.select('"%s"' % box, readonly=True)
    expect(typ, "OK", "EXAMINE %s" % box)
    if int(data[0]) == 0:
        return []
    typ, data = m.uid("FETCH", "1:*", "(FLAGS INTERNALDATE BODY.PEEK[])")
    expect(typ, "OK", "UID FETCH in %s" % box)
    out = []
    for item in data:
        if not isinstance(item, tuple):
            continue
        meta, body = item
        flags = re.search(rb"FLAGS \(([^)]*)\)", meta).group(1).split()
        flags = tuple(sorted(f.decode() for f in flags if f.lower() != b"\\recent"))
        date = re.search(rb'INTERNALDATE "([^"]+)"', meta).group(1).decode()
        subject = re.search(rb"^Subject: (.*?)\r?$", body, re.M).group(1).decode()
        out.append((subject, hashlib.sha256(body).hexdigest()[:16], date, flags))
    return sorted(out)


def account(target, user):
    m = target.connect(user)
    try:
        return {box: content(m, box) for box in mailboxes(m)}
    finally:
        m.logout()


def statuses(target, user):
    m = target.connect(user)
    try:
        out = {}
        for box in mailboxes(m):
            typ, data = m.status('"%s"' % box, "(MESSAGES UIDNEXT HIGHESTMODSEQ)")
            expect(typ, "OK", "STATUS %s" % box)
            out[box] = data[0].decode()
        return out
    finally:
        m.logout()


def same_accounts(target, when):
    a, b = account(target, "alice"), account(target, "bob")
    if a != b:
        lines = []
        for box in sorted(set(a) | set(b)):
            if a.get(box) != b.get(box):
                lines.append("  %s:\n    alice %r\n    bob   %r" % (box, a.get(box), b.get(box)))
        raise AssertionError("%s: the accounts differ\n%s" % (when, "\n".join(lines)))
    return a


def subjects(acct, box):
    return {s: flags for s, _, _, flags in acct.get(box, [])}


class Interimap:
    def __init__(self, target, work):
        self.work = work
        self.env = dict(os.environ, HOME=work, XDG_CONFIG_HOME=os.path.join(work, "config"),
                        XDG_DATA_HOME=os.path.join(work, "data"))
        os.makedirs(os.path.join(work, "config"))
        os.makedirs(os.path.join(work, "data"))
        self.conf = os.path.join(work, "config", "interimap.conf")
        self.db = os.path.join(work, "data", "interimap.db")
        with open(self.conf, "w") as f:
            f.write("database = %s\n\n[local]\n%s\n[remote]\n%s" % (
                self.db, target.section("alice", implicit_tls=False), target.section("bob", implicit_tls=True)))
        os.chmod(self.conf, 0o600)
        self.runs = 0

    def run(self):
        """One synchronisation; returns (informational output, IMAP traffic)."""
        self.runs += 1
        log = os.path.join(self.work, "run%d.log" % self.runs)
        r = subprocess.run(["interimap", "--config=" + self.conf, "--debug"], env=self.env,
                           capture_output=True, timeout=45)
        out = r.stderr.decode(errors="replace") + r.stdout.decode(errors="replace")
        with open(log, "w") as f:
            f.write(out)
        if r.returncode != 0:
            raise AssertionError("interimap run %d failed (exit %d); its log, IMAP traffic included:\n%s"
                                 % (self.runs, r.returncode, tail(out, 120)))
        return out

    @staticmethod
    def commands(out):
        """The IMAP commands interimap sent: [(side, verb line)]."""
        cmds = []
        for line in out.splitlines():
            m = re.search(r"\b(local|remote)\b.*?C: \S+ (.*)$", line)
            if m:
                cmds.append((m.group(1), m.group(2)))
        return cmds

    @staticmethod
    def info(out):
        """interimap's own informational lines (no IMAP traffic)."""
        return [l for l in out.splitlines() if not re.search(r"[CS]: ", l) and l.strip()]


def tail(text, n):
    return "\n".join(text.splitlines()[-n:])


def changes(target):
    """Changes on both sides while interimap is away."""
    a = target.connect("alice")
    a.select("INBOX")
    a.append("INBOX", "(\\Seen $Label1)", None, message("alice new"))
    a.uid("STORE", search(a, "bob one"), "+FLAGS", "(\\Flagged)")
    a.uid("STORE", search(a, "alice two"), "-FLAGS", "(\\Seen)")
    a.uid("STORE", search(a, "shared conflict"), "+FLAGS", "(\\Answered)")
    a.uid("STORE", search(a, "alice three"), "+FLAGS", "(\\Deleted)")
    a.expunge()
    a.create("Travel")
    a.append("Travel", "(\\Flagged)", None, message("alice travel"))
    a.logout()

    b = target.connect("bob")
    b.select("INBOX")
    b.append("INBOX", None, None, message("bob new"))
    b.uid("STORE", search(b, "alice one"), "+FLAGS", "(Work)")
    b.uid("STORE", search(b, "shared conflict"), "+FLAGS", "(todo)")
    b.uid("STORE", search(b, "bob two"), "+FLAGS", "(\\Deleted)")
    b.uid("EXPUNGE", search(b, "bob two"))
    typ, _ = b.uid("MOVE", search(b, "alice one"), "Projects")
    expect(typ, "OK", "UID MOVE")
    b.create("Receipts")
    b.append("Receipts", None, None, message("bob receipt"))
    b.select("Projects")
    b.uid("STORE", search(b, "project a"), "FLAGS", "(\\Seen \\Answered)")
    b.logout()


def search(m, subject):
    typ, data = m.uid("SEARCH", "HEADER", "Subject", '"%s"' % subject)
    expect(typ, "OK", "UID SEARCH %s" % subject)
    uids = data[0].split()
    expect(len(uids), 1, "messages with Subject %r" % subject)
    return uids[0].decode()


def check_second_run(target, out2):
    """The state after the changes on both sides and interimap's second run."""
    state = same_accounts(target, "after the second run")
    inbox = subjects(state, "INBOX")
    expect(sorted(inbox), ["alice new", "alice two", "bob new", "bob one", "shared conflict"],
           "INBOX after the second run (alice three and bob two expunged, alice one moved)")
    expect(inbox["alice new"], ("$Label1", "\\Seen"), "alice's new message")
    expect(inbox["bob one"], ("\\Answered", "\\Flagged"), "alice's \\Flagged on bob's message")
    expect(inbox["alice two"], ("\\Flagged",), "alice's -\\Seen")
    # Both sides changed it: interimap stores the union on both.
    expect(inbox["shared conflict"], ("\\Answered", "\\Seen", "todo"), "conflicting flag changes")
    projects = subjects(state, "Projects")
    expect(sorted(projects), ["alice one", "project a", "project b"], "Projects after the second run")
    expect(projects["alice one"], ("Work", "\\Seen"), "moved message's flags")
    expect(projects["project a"], ("\\Answered", "\\Seen"), "bob's FLAGS (replace) in Projects")
    expect(sorted(subjects(state, "Travel")), ["alice travel"], "alice's new mailbox on both")
    expect(sorted(subjects(state, "Receipts")), ["bob receipt"], "bob's new mailbox on both")
    cmds = Interimap.commands(out2)
    if not any(re.match(r"(SELECT|EXAMINE) \S+ \(QRESYNC \(", c, re.I) for _, c in cmds):
        raise AssertionError("interimap's second run made no SELECT (QRESYNC ...):\n" + tail(out2, 60))


def run_test(target, work):
    # Two different accounts to start with.
    a = target.connect("alice")
    for subj, flags in (("alice one", "(\\Seen)"), ("alice two", "(\\Seen \\Flagged)"),
                        ("alice three", None), ("shared conflict", "(\\Seen)")):
        a.append("INBOX", flags, None, message(subj))
    a.create("Projects")
    a.append("Projects", "($Label1)", None, message("project a", "x" * 3000))
    a.append("Projects", None, None, message("project b"))
    a.logout()
    b = target.connect("bob")
    b.append("INBOX", "(\\Answered)", None, message("bob one"))
    b.append("INBOX", None, None, message("bob two"))
    b.logout()

    im = Interimap(target, work)
    out1 = im.run()
    state = same_accounts(target, "after the first run")
    expect(sorted(subjects(state, "INBOX")), ["alice one", "alice three", "alice two", "bob one", "bob two",
                                              "shared conflict"], "INBOX after the first run")
    expect(sorted(subjects(state, "Projects")), ["project a", "project b"], "Projects after the first run")
    expect(subjects(state, "INBOX")["alice two"], ("\\Flagged", "\\Seen"), "flags copied")

    changes(target)
    out2 = im.run()
    try:
        check_second_run(target, out2)
    except AssertionError as e:
        said = [l for l in Interimap.info(out2) if re.search(r"WARNING|Added|Removed|Updated|Created", l)]
        raise AssertionError("%s\ninterimap's second run said:\n  %s" % (e, "\n  ".join(said))) from None
    cmds = Interimap.commands(out2)

    before = (statuses(target, "alice"), statuses(target, "bob"))
    out3 = im.run()
    after = (statuses(target, "alice"), statuses(target, "bob"))
    writes = [(side, c) for side, c in Interimap.commands(out3)
              if re.match(r"(UID )?(APPEND|STORE|EXPUNGE|MOVE|COPY|CREATE|DELETE|RENAME)\b", c, re.I)
              or re.match(r"UID (STORE|EXPUNGE|MOVE|COPY)\b", c, re.I)]
    if writes:
        raise AssertionError("a run with nothing new changed something:\n  %s\nits log:\n%s"
                             % ("\n  ".join("%s: %s" % w for w in writes), tail(out3, 80)))
    noise = [l for l in Interimap.info(out3) if re.search(r"Added|Removed|Updated|Created|Deleted|[Cc]onflict", l)]
    if noise:
        raise AssertionError("a run with nothing new reported changes:\n  " + "\n  ".join(noise))
    expect(after, before, "MESSAGES/UIDNEXT/HIGHESTMODSEQ of every mailbox across a run with nothing new")
    same_accounts(target, "after the third run")
    selects = [c for _, c in Interimap.commands(out3) if re.match(r"(SELECT|EXAMINE) ", c, re.I)]
    print("interimap run 1: %d commands, run 2: %d, run 3 (nothing new): %d (%d SELECT)" % (
        len(Interimap.commands(out1)), len(cmds), len(Interimap.commands(out3)), len(selects)))
    for line in Interimap.info(out2)[:40]:
        print("  run 2: " + line)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", help="the lemonade binary")
    ap.add_argument("--dovecot", action="store_true", help="run against a throwaway Dovecot instead")
    args = ap.parse_args()
    if not shutil.which("interimap"):
        raise SystemExit("FAIL test_interimap: " + INSTALL_HINT)
    work = tempfile.mkdtemp(prefix="lemonade-interimap-")
    try:
        if args.dovecot:
            with Dovecot(USERS) as srv:
                run_test(Target(srv, tls=False), work)
        elif args.lemonade:
            with LemonadeServer(args.lemonade, users=USERS) as srv:
                run_test(Target(srv, tls=True), work)
        else:
            ap.error("--lemonade BINARY or --dovecot")
    finally:
        if not os.environ.get("KEEP_INTERIMAP_WORK"):
            shutil.rmtree(work, ignore_errors=True)
    print("PASS test_interimap")


if __name__ == "__main__":
    main()
