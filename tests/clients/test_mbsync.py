#!/usr/bin/env python3
"""mbsync (isync) keeps a Maildir and a Lemonade account in step, both
ways: local messages are uploaded (APPEND), server messages downloaded
(UID FETCH BODY.PEEK[]), flag changes carried both ways (UID STORE); a
sync with nothing new changes nothing on either side."""

import argparse
import atexit
import imaplib
import os
import shutil
import ssl
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402


def expect(value, wanted, what):
    if value != wanted:
        raise AssertionError("%s: expected %r, got %r" % (what, wanted, value))


def maildir_state(root):
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            if not f.startswith("."):
                path = os.path.join(dirpath, f)
                with open(path, "rb") as fh:
                    out[os.path.relpath(path, root)] = fh.read()
    return out


def imap(srv):
    ctx = ssl.create_default_context(cafile=srv.cert)
    ctx.check_hostname = False
    m = imaplib.IMAP4_SSL("127.0.0.1", srv.imaps_port, ssl_context=ctx)
    m.login("erin", "pw")
    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="lemonade-mbsync-")
    atexit.register(shutil.rmtree, work, True)
    mail = os.path.join(work, "mail")
    inbox = os.path.join(mail, "INBOX")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(inbox, sub))
    for i in range(3):
        with open(os.path.join(inbox, "cur", "%d.local:2,S" % i), "wb") as f:
            f.write(b"Subject: local %d\r\n\r\nbody %d\r\n" % (i, i))
    with LemonadeServer(args.lemonade, users={"erin": "pw"}) as srv:
        rc = os.path.join(work, "mbsyncrc")
        with open(rc, "w") as f:
            f.write(f"""IMAPAccount a
Host 127.0.0.1
Port {srv.imaps_port}
User erin
Pass pw
SSLType IMAPS
CertificateFile {srv.cert}

IMAPStore remote
Account a

MaildirStore local
Path {mail}/
Inbox {inbox}
SubFolders Verbatim

Channel c
Far :remote:
Near :local:
Patterns *
Create Both
Expunge Both
SyncState *
""")

        def sync(debug=False):
            r = subprocess.run(["mbsync", "-c", rc, "-a"] + (["-Dn"] if debug else []), capture_output=True,
                               timeout=120)
            if r.returncode != 0:
                raise AssertionError("mbsync failed: %s" % r.stderr.decode()[-2000:])
            return r.stdout + r.stderr

        m = imap(srv)
        m.append("INBOX", "(\\Flagged)", None, b"Subject: remote\r\n\r\nfrom the server\r\n")
        trace = sync(debug=True)  # both ways
        # isync 1.4 turns on COMPRESS=DEFLATE (RFC 4978) whenever offered:
        # this sync runs compressed.
        expect(b"COMPRESS DEFLATE" in trace and b"OK DEFLATE active" in trace, True, "mbsync compressed")
        expect(m.status("INBOX", "(MESSAGES)")[1], [b"INBOX (MESSAGES 4)"], "uploaded")
        state = maildir_state(mail)
        bodies = sorted(v for k, v in state.items() if k.startswith("INBOX/"))
        expect(len(bodies), 4, "downloaded")
        # mbsync stores LF line ends and adds its own X-TUID header.
        expect(any(b.startswith(b"Subject: remote\n") and b.endswith(b"\nfrom the server\n") for b in bodies), True,
               "server message downloaded")
        m.select("INBOX")
        # Flags: the server's \Flagged arrived as F, local \Seen went up.
        names = [k for k in state if k.startswith("INBOX/")]
        expect(sum(1 for n in names if ",F" in n or "F" in n.rsplit(",", 1)[-1]), 1, "\\Flagged downloaded")
        typ, data = m.fetch("1:*", "(FLAGS)")
        expect(sum(1 for d in data if b"\\Seen" in d), 3, "\\Seen uploaded")

        before_status = m.status("INBOX", "(MESSAGES UIDNEXT UNSEEN)")[1]
        m.logout()
        sync()  # nothing new: nothing may change on either side
        expect(maildir_state(mail), state, "Maildir after a no-op sync")
        m = imap(srv)
        expect(m.status("INBOX", "(MESSAGES UIDNEXT UNSEEN)")[1], before_status, "server after a no-op sync")
        m.logout()
    print("PASS test_mbsync")


if __name__ == "__main__":
    main()
