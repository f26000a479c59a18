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

    # Message access (RFC 3501 §6.4): FETCH of structure and sections,
    # SEARCH, STORE, COPY, MOVE, EXPUNGE, CLOSE.
    body = b"Subject: fetch me\r\n\r\nline 1\r\n"
    m.append("INBOX", None, None, body)
    typ, data = m.uid("FETCH", "1:*", "(UID RFC822.SIZE BODY.PEEK[])")
    expect(data, [(b"1 (UID 2 RFC822.SIZE 29 BODY[] {29}", body), b")"], "UID FETCH")
    mixed = (b"From: Ann <ann@example.com>\r\nTo: bob@example.com\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\n"
             b"Content-Type: multipart/mixed; boundary=xx\r\n\r\n--xx\r\nContent-Type: text/plain; charset=utf-8\r\n"
             b"Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe\r\n--xx\r\n"
             b"Content-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--xx--\r\n")
    m.append("INBOX", "($Forwarded)", None, mixed)
    typ, data = m.fetch("2", "(ENVELOPE BODYSTRUCTURE)")
    expect(data, [b'2 (ENVELOPE (NIL "=?utf-8?q?caf=C3=A9?=" (("Ann" NIL "ann" "example.com")) '
                  b'(("Ann" NIL "ann" "example.com")) (("Ann" NIL "ann" "example.com")) '
                  b'((NIL NIL "bob" "example.com")) NIL NIL NIL NIL) BODYSTRUCTURE '
                  b'(("TEXT" "PLAIN" ("CHARSET" "utf-8") NIL NIL "QUOTED-PRINTABLE" 15 1 NIL NIL NIL NIL)'
                  b'("APPLICATION" "PDF" ("NAME" "a.pdf") NIL NIL "BASE64" 8 NIL NIL NIL NIL) '
                  b'"MIXED" ("BOUNDARY" "xx") NIL NIL NIL))'], "ENVELOPE BODYSTRUCTURE")
    typ, data = m.fetch("2", "(BODY.PEEK[1] BODY.PEEK[2.MIME] FLAGS)")
    expect(data, [(b"2 (BODY[1] {15}", b"Gr=C3=BC=C3=9Fe"),
                  (b" BODY[2.MIME] {80}", b"Content-Type: application/pdf; name=a.pdf\r\n"
                                        b"Content-Transfer-Encoding: base64\r\n\r\n"),
                  b" FLAGS ($Forwarded \\Recent))"], "FETCH sections")
    expect(m.search(None, "BODY", "GRUSSE")[1], [b""], "BODY: no match for the undecoded form")
    m.literal = "grüße".encode()
    expect(m.search("UTF-8", "BODY")[1], [b"2"], "SEARCH CHARSET UTF-8 BODY literal")
    m.literal = "CAFÉ".encode()
    expect(m.search("UTF-8", "SUBJECT")[1], [b"2"], "SEARCH SUBJECT decodes RFC 2047")
    expect(m.search(None, "KEYWORD", "$Forwarded")[1], [b"2"], "SEARCH KEYWORD $Forwarded")
    expect(m.search(None, "OR", "FROM", "ann", "SUBJECT", '"fetch me"')[1], [b"1 2"], "SEARCH OR")
    typ, data = m.store("1", "+FLAGS", "(\\Flagged)")
    expect(data, [b"1 (FLAGS (\\Flagged \\Recent))"], "STORE")
    expect(m.copy("1:2", "Trash")[0], "OK", "COPY")
    m.select("Trash")
    expect(m.search(None, "KEYWORD", "$Forwarded")[1], [b"2"], "$Forwarded kept by COPY")
    m.select("INBOX")
    typ, data = m.uid("MOVE", "3", "Junk")
    expect(typ, "OK", "UID MOVE")
    expect(m.status("Junk", "(MESSAGES)")[1], [b"Junk (MESSAGES 1)"], "moved")
    m.store("1", "+FLAGS", "(\\Deleted)")
    typ, data = m.expunge()
    # imaplib hands back every EXPUNGE since the last call: MOVE's, then ours.
    expect(data, [b"2", b"1"], "EXPUNGE")
    expect(m.status("INBOX", "(MESSAGES)")[1], [b"INBOX (MESSAGES 0)"], "expunged")
    m.select("Junk")
    expect(m.search(None, "KEYWORD", "$Forwarded")[1], [b"1"], "$Forwarded kept by MOVE")
    m.store("1", "+FLAGS", "(\\Deleted)")
    expect(m.close()[0], "OK", "CLOSE")
    expect(m.status("Junk", "(MESSAGES)")[1], [b"Junk (MESSAGES 0)"], "CLOSE expunged")
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
