#!/usr/bin/env python3
"""Python imaplib against Lemonade: STARTTLS + LOGIN, SCRAM-SHA-256 over
implicit TLS (our own SCRAM client, RFC 5802/7677), and a mailbox session:
create (incl. a modified UTF-7 name), list, status, append, rename (INBOX
too), delete."""

import argparse
import base64
import hashlib
import hmac
import imaplib
import os
import ssl
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402


def expect(value, wanted, what):
    if value != wanted:
        raise AssertionError("%s: expected %r, got %r" % (what, wanted, value))


class Scram:
    """SCRAM-SHA-256 client for imaplib.authenticate (RFC 5802 §5)."""

    def __init__(self, user, password):
        self.user, self.password = user, password
        self.nonce = base64.b64encode(os.urandom(18)).decode()
        self.step = 0
        self.server_signature = None

    def __call__(self, challenge):
        self.step += 1
        if self.step == 1:
            self.first_bare = "n=%s,r=%s" % (self.user, self.nonce)
            return ("n,," + self.first_bare).encode()
        if self.step == 2:
            server_first = challenge.decode()
            attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
            assert attrs["r"].startswith(self.nonce), "server nonce must extend ours"
            salted = hashlib.pbkdf2_hmac("sha256", self.password.encode(), base64.b64decode(attrs["s"]), int(attrs["i"]))
            client_key = hmac.new(salted, b"Client Key", "sha256").digest()
            stored_key = hashlib.sha256(client_key).digest()
            final_bare = "c=biws,r=" + attrs["r"]
            auth_message = ",".join([self.first_bare, server_first, final_bare]).encode()
            signature = hmac.new(stored_key, auth_message, "sha256").digest()
            proof = bytes(a ^ b for a, b in zip(client_key, signature))
            server_key = hmac.new(salted, b"Server Key", "sha256").digest()
            self.server_signature = base64.b64encode(hmac.new(server_key, auth_message, "sha256").digest()).decode()
            return (final_bare + ",p=" + base64.b64encode(proof).decode()).encode()
        # server-final-message: the client checks the server knew the key.
        expect(challenge.decode(), "v=" + self.server_signature, "server signature")
        return b""


def tls_context(srv):
    ctx = ssl.create_default_context(cafile=srv.cert)
    ctx.check_hostname = False
    return ctx


def mutf7(name):
    """RFC 3501 §5.1.3 modified UTF-7 (enough for the test's BMP text)."""
    out, run = "", ""
    def flush():
        nonlocal out, run
        if run:
            b = base64.b64encode(run.encode("utf-16-be")).decode().rstrip("=").replace("/", ",")
            out += "&" + b + "-"
            run = ""
    for ch in name:
        if 0x20 <= ord(ch) <= 0x7e:
            flush()
            out += "&-" if ch == "&" else ch
        else:
            run += ch
    flush()
    return out


def session(srv):
    m = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    expect(m.starttls(ssl_context=tls_context(srv))[0], "OK", "STARTTLS")
    expect("STARTTLS" in m.capabilities, False, "STARTTLS offered after TLS")
    expect(m.login("alice", "correct horse")[0], "OK", "LOGIN")

    name = mutf7("Projekte/Größe")
    expect(name, "Projekte/Gr&APYA3w-e", "modified UTF-7")
    expect(m.create(name)[0], "OK", "CREATE")
    typ, data = m.list('""', "Projekte*")
    expect(data, [b'(\\HasChildren) "/" Projekte', b'(\\HasNoChildren) "/" Projekte/Gr&APYA3w-e'], "LIST")

    typ, data = m.append(name, "(\\Seen)", imaplib.Time2Internaldate(1700000000), b"Subject: one\r\n\r\nbody\r\n")
    expect(typ, "OK", "APPEND")
    uidvalidity = m.status(name, "(UIDVALIDITY)")[1][0].split()[-1].rstrip(b")")
    expect(data, [b"[APPENDUID " + uidvalidity + b" 1] APPEND completed"], "APPENDUID")
    m.append(name, None, None, b"Subject: two\r\n\r\nbody\r\n")
    expect(m.status(name, "(MESSAGES UIDNEXT UNSEEN)")[1],
           [name.encode() + b" (MESSAGES 2 UIDNEXT 3 UNSEEN 1)"], "STATUS")

    expect(m.rename("Projekte", "Archiv2")[0], "OK", "RENAME")
    expect(m.list('""', "Archiv2*")[1],
           [b'(\\HasChildren) "/" Archiv2', b'(\\HasNoChildren) "/" Archiv2/Gr&APYA3w-e'], "LIST after RENAME")

    # RFC 3501 §6.3.5: renaming INBOX moves its messages.
    m.append("INBOX", None, None, b"Subject: inbox\r\n\r\nx\r\n")
    expect(m.rename("INBOX", "Old-Inbox")[0], "OK", "RENAME INBOX")
    expect(m.status("INBOX", "(MESSAGES)")[1], [b"INBOX (MESSAGES 0)"], "INBOX after rename")
    expect(m.status("Old-Inbox", "(MESSAGES)")[1], [b"Old-Inbox (MESSAGES 1)"], "moved messages")

    expect(m.delete("Archiv2/" + "Gr&APYA3w-e")[0], "OK", "DELETE")
    expect(m.delete("Archiv2")[0], "OK", "DELETE parent")
    expect(m.list('""', "Archiv2*")[1], [None], "LIST after DELETE")
    expect(m.select("INBOX")[0], "OK", "SELECT")

    # Message access as far as it goes today (no ENVELOPE/BODYSTRUCTURE yet).
    body = b"Subject: fetch me\r\n\r\nline 1\r\n"
    m.append("INBOX", None, None, body)
    typ, data = m.uid("FETCH", "1:*", "(UID RFC822.SIZE BODY.PEEK[])")
    expect(data, [(b"1 (UID 2 RFC822.SIZE 29 BODY[] {29}", body), b")"], "UID FETCH")
    typ, data = m.store("1", "+FLAGS", "(\\Flagged)")
    expect(data, [b"1 (FLAGS (\\Flagged \\Recent))"], "STORE")
    expect(m.copy("1", "Trash")[0], "OK", "COPY")
    typ, data = m.uid("MOVE", "2", "Junk")
    expect(typ, "OK", "UID MOVE")
    expect(m.status("Junk", "(MESSAGES)")[1], [b"Junk (MESSAGES 1)"], "moved")
    expect(m.status("INBOX", "(MESSAGES)")[1], [b"INBOX (MESSAGES 0)"], "moved away")
    m.logout()


def scram(srv):
    m = imaplib.IMAP4_SSL("127.0.0.1", srv.imaps_port, ssl_context=tls_context(srv))
    auth = Scram("alice", "correct horse")
    typ, data = m.authenticate("SCRAM-SHA-256", auth)
    expect(typ, "OK", "SCRAM")
    expect(auth.step, 3, "SCRAM steps")
    m.logout()
    m = imaplib.IMAP4_SSL("127.0.0.1", srv.imaps_port, ssl_context=tls_context(srv))
    try:
        m.authenticate("SCRAM-SHA-256", Scram("alice", "wrong"))
        raise AssertionError("SCRAM with a wrong password succeeded")
    except imaplib.IMAP4.error as e:
        expect(str(e), "[AUTHENTICATIONFAILED] Authentication failed",
               "SCRAM failure")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    with LemonadeServer(args.lemonade, users={"alice": "correct horse"}) as srv:
        session(srv)
        scram(srv)
    print("PASS test_python_imaplib")


if __name__ == "__main__":
    main()
