"""XENCRYPTED through a proxy that records everything (issue 16,
docs/xencrypted.md): the reference client (clients/python/lemonade_client.py)
logs in as the proxy identity alice+phone through a recording TCP relay,
names its device key with XKEY, and FETCHes bodies (small, streamed,
BINARY-decoded), envelopes, structures and previews, and APPENDs: it opens
every octet exactly as alice reads it herself, while the relay's recording
holds no marker string of any message. Tampered, swapped, truncated,
replayed and wrong-key objects are detected by the client and refused by
the store on APPEND; a revoked key ends the session that uses it."""

import argparse
import base64
import imaplib
import os
import socket
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
sys.path.insert(0, HERE)
import lemonade_client as lc  # noqa: E402
from lemonade_server import LemonadeServer  # noqa: E402
from test_python_imaplib import expect  # noqa: E402

MARKERS = [b"MARKER-ALPHA-7731", b"MARKER-BRAVO-8842", b"MARKER-CHARLIE-9953", b"MARKER-DELTA-1064"]


class Relay:
    """A TCP relay on loopback that keeps every octet it passes."""

    def __init__(self, port):
        self.target = port
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        self.recorded = bytearray()
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", self.target))
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                with self.lock:
                    self.recorded += data
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        self.listener.close()


def messages():
    small = (b"From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: lunch " + MARKERS[0] +
             b"\r\nDate: Mon, 7 Feb 1994 21:52:25 -0800\r\nMessage-ID: <1@example.org>\r\n\r\n"
             b"Shall we meet at noon? " + MARKERS[0] + b"\r\n")
    line = b"The quarterly figures are attached below. " + MARKERS[1] + b"\r\n"
    big = (b"From: carol@example.org\r\nSubject: report\r\n\r\n" + line * (700 * 1024 // len(line)))
    payload = os.urandom(300 * 1024) + MARKERS[2]
    b64 = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    attached = (b"From: dave@example.org\r\nSubject: picture\r\nMIME-Version: 1.0\r\n"
                b"Content-Type: multipart/mixed; boundary=xx\r\n\r\n--xx\r\nContent-Type: text/plain\r\n\r\n"
                b"see attached\r\n--xx\r\nContent-Type: application/octet-stream\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 + b"--xx--\r\n")
    return [small, big, attached], payload


def own_view(srv, uid, item):
    """What alice reads herself (imaplib, in the clear on loopback)."""
    m = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    m.login("alice", "correct horse")
    m.select("INBOX", readonly=True)
    typ, data = m.uid("FETCH", str(uid), "(" + item + ")")
    m.logout()
    expect(typ, "OK", "alice's own FETCH " + item)
    return data[0][1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    with LemonadeServer(args.lemonade, users={"alice": "correct horse"},
                        options=["server.user_check_interval=200ms"],
                        proxies=[("alice", "phone", "relay pw")]) as srv:
        key_id, key = srv.add_key("alice", "phone")
        expect(len(key), 32, "the key's secret")
        code, listed = srv.key("list", "alice")
        expect((code, listed.split()[:2], base64.b64encode(key).decode() in listed), (0, [key_id, "phone"], False),
               "key list shows no secret")

        own = imaplib.IMAP4("127.0.0.1", srv.imap_port)
        own.login("alice", "correct horse")
        bodies, payload = messages()
        for body in bodies:
            expect(own.append("INBOX", None, None, body)[0], "OK", "alice appends")
        own.logout()

        relay = Relay(srv.imap_port)
        conn = lc.Connection("127.0.0.1", relay.port)
        conn.login("alice+phone", "relay pw")
        # Before XKEY: no content for the proxy identity, in either direction.
        conn.command("SELECT INBOX")
        _, st = conn.command("UID FETCH 1 (BODY.PEEK[])")
        expect(st, ("NO", "[NOPERM] UID FETCH would send message content in the clear to this proxy identity "
                          "(XKEY first: it is then sent encrypted) (it needs the clear-content allowance)"),
               "FETCH BODY[] before XKEY")
        _, st = conn.command("UID FETCH 1 (ENVELOPE)")
        expect(st[0], "NO", "ENVELOPE before XKEY")
        _, st = conn.command("UID FETCH 1:* (UID FLAGS RFC822.SIZE)")
        expect(st[0], "OK", "flags and sizes are not content")
        _, st = conn.command("APPEND INBOX", [b"Subject: forged\r\n\r\nhi\r\n"])
        expect(st, ("NO", "[NOPERM] APPEND from this proxy identity must carry the client's encrypted literals "
                          "(~{X<n>}), or come sealed (it needs the clear-content allowance)"), "plain APPEND from the proxy")
        _, st = conn.command("XKEY 0000000000000000 " + "00" * 16)
        expect(st, ("NO", "[NOPERM] No key in use with that id"), "XKEY of an unknown key")

        x = lc.Xenc(conn, "alice", key_id, key)
        x.start()
        x.select("INBOX")
        items = "(UID BODY.PEEK[] BODY.PEEK[HEADER.FIELDS (Subject)] BINARY.PEEK[2] BODY.PEEK[1]<0.5> ENVELOPE " \
                "BODYSTRUCTURE PREVIEW RFC822.SIZE FLAGS)"
        got = x.fetch("1:3", items)
        expect(sorted(got), [1, 2, 3], "three messages")
        for uid, body in zip((1, 2, 3), bodies):
            expect(got[uid]["BODY[]"], body, "BODY[] of %d opened exactly" % uid)
            expect(int(got[uid]["RFC822.SIZE"]), len(body), "RFC822.SIZE in the clear")
            expect(got[uid]["BODY[HEADER.FIELDS (Subject)]"], own_view(srv, uid, "BODY.PEEK[HEADER.FIELDS (Subject)]"),
                   "HEADER.FIELDS of %d" % uid)
            expect(got[uid]["BODYSTRUCTURE"].startswith(b"("), True, "BODYSTRUCTURE opened")
        expect(got[3]["BINARY[2]"], payload, "BINARY[2] decoded and opened")
        expect(got[1]["BODY[1]<0>"], b"Shall", "a partial")
        expect(got[1]["ENVELOPE"].startswith(b'("Mon, 7 Feb 1994 21:52:25 -0800" "lunch MARKER-ALPHA-7731"'), True,
               "ENVELOPE's plaintext is its clear form: " + got[1]["ENVELOPE"][:60].decode())
        expect(got[1]["PREVIEW"], b"Shall we meet at noon? MARKER-ALPHA-7731", "PREVIEW opened")

        # An encrypted APPEND: stored as plaintext, which alice reads.
        note = b"From: alice@example.org\r\nSubject: draft\r\n\r\nnote " + MARKERS[3] + b"\r\n"
        _, st = x.append("INBOX", note, "\\Draft")
        expect(st[0], "OK", "encrypted APPEND: " + st[1])
        expect(st[1].startswith("[APPENDUID "), True, "APPENDUID")
        expect(own_view(srv, 4, "BODY.PEEK[]"), note, "the appended message, as alice reads it")

        # CATENATE (RFC 4469): an encrypted text part is accepted; URL parts
        # are not bound to the client's objects, so they must come sealed
        # (below).
        intro = b"From: alice@example.org\r\nSubject: fwd\r\n\r\nSee below. " + MARKERS[3] + b"\r\n"
        _, st = x.catenate("INBOX", [("TEXT", intro), ("URL", "/INBOX/;uid=1/;section=TEXT")])
        expect(st[1].startswith("[NOPERM] APPEND from this proxy identity"), True, "unsealed CATENATE with a URL")
        _, st = x.catenate("INBOX", [("TEXT", intro)])
        expect(st[0], "OK", "encrypted CATENATE: " + st[1])
        expect(own_view(srv, 5, "BODY.PEEK[]"), intro, "the catenated message")

        # The proxy saw none of it.
        with relay.lock:
            recording = bytes(relay.recorded)
        expect(len(recording) > sum(len(b) for b in bodies), True, "the relay carried the bodies")
        for marker in MARKERS:
            expect(marker in recording, False, "the relay never saw " + marker.decode())
        expect(key in recording or key.hex().encode() in recording, False, "nor the key")

        # The client detects what a proxy could do to the objects.
        untagged, _ = conn.command("UID FETCH 1:2 (UID BODY.PEEK[])")
        objs = {int(r[3][1]): r[3][3] for r in untagged if len(r) > 3 and r[2] == "FETCH"}
        ctx = lambda uid: "FETCH INBOX %d %d BODY[]" % (x.uidvalidity, uid)  # noqa: E731

        def detected(what, context, obj):
            try:
                x.open(context, obj)
            except lc.TamperedError:
                return
            raise AssertionError(what + " was not detected")

        flipped = bytearray(objs[1])
        flipped[100] ^= 1
        detected("a flipped bit", ctx(1), bytes(flipped))
        detected("a swapped message", ctx(1), objs[2])
        detected("a truncated object", ctx(1), objs[1][:-1])
        detected("another key id", ctx(1), objs[1][:2] + b"\0" * 8 + objs[1][10:])
        expect(x.open(ctx(1), objs[1]), bodies[0], "the intact objects open")
        expect(x.open(ctx(2), objs[2]), bodies[1], "in order")
        # After a flag change, the proxy answers a new FETCH with the old
        # object: its sequence number is not above the last one opened.
        expect(conn.command("UID STORE 1 +FLAGS (\\Flagged)")[1][0], "OK", "a flag change")
        conn.command("UID FETCH 1 (UID BODY.PEEK[])")
        detected("a replayed object", ctx(1), objs[1])
        detected("another mailbox's", "FETCH Drafts %d 1 BODY[]" % x.uidvalidity, objs[1])
        elsewhere = lc.Binding("alice", os.urandom(16), x.binding.server_nonce)
        try:
            lc.open_object(lc.session_key(key, elsewhere), bytes.fromhex(key_id), elsewhere, ctx(1), objs[1])
            raise AssertionError("an object of another session opened")
        except lc.TamperedError:
            pass

        # The store refuses what a proxy could do to the client's objects.
        obj = x.seal("APPEND INBOX", note)
        bad = bytearray(obj)
        bad[-1] ^= 1
        _, st = conn.command("APPEND INBOX", [("~{X", bytes(bad))])
        expect(st, ("NO", "[NOPERM] The encrypted literal does not open under the session's key and binding"),
               "tampered APPEND")
        _, st = conn.command("APPEND Drafts", [("~{X", obj)])
        expect(st[0], "NO", "an APPEND object sent to another mailbox")
        _, st = conn.command("APPEND INBOX", [("~{X", obj[:-3])])
        expect(st[0], "NO", "truncated APPEND")
        _, st = conn.command("APPEND INBOX", [("~{X", obj)])
        expect(st[0], "OK", "the intact object")
        _, st = conn.command("APPEND INBOX", [("~{X", obj)])
        expect(st, ("NO", "[NOPERM] The encrypted literal's sequence number is not above the last one"),
               "the same object replayed")

        # A proxy's own text in place of an object, or an item left out.
        class Canned:
            def __init__(self, untagged):
                self.untagged = untagged
                self.untagged_raw = [b"" for _ in untagged]

            def command(self, text, literals=(), tail=""):
                return self.untagged, ("OK", "done")

        fake = lc.Xenc(Canned([["*", "1", "FETCH", ["UID", "1", "BODY[]", lc.Literal(b"forged")]]]),
                       "alice", key_id, key)
        fake.binding, fake.key, fake.mailbox, fake.uidvalidity = x.binding, x.key, "INBOX", x.uidvalidity
        for untagged, what in ((Canned([["*", "1", "FETCH", ["UID", "1", "BODY[]", lc.Literal(b"forged")]]]),
                                "a clear literal"),
                               (Canned([["*", "1", "FETCH", ["UID", "1", "BODY[]", lc.Quoted("forged")]]]),
                                "a quoted string"),
                               (Canned([["*", "1", "FETCH", ["UID", "1"]]]), "a missing item")):
            fake.conn = untagged
            try:
                fake.fetch("1", "(UID BODY.PEEK[])")
                raise AssertionError(what + " in place of an object was accepted")
            except lc.TamperedError:
                pass
        # A proxy answering a sealed command in the store's place.
        fake.conn = Canned([])
        try:
            fake.sealed("UID EXPUNGE 1")
            raise AssertionError("an OK without the store's sealed answer was accepted")
        except lc.TamperedError:
            pass

        # Sealed requests: what the grant refuses in the clear, the device
        # may ask for inside XSEALED (docs/xencrypted.md).
        _, st = conn.command("UID EXPUNGE 1")
        expect(st[0], "NO", "unsealed UID EXPUNGE")
        _, st = x.sealed("UID STORE 1 +FLAGS (\\Deleted)")
        expect(st, ("OK", "UID STORE completed"), "sealed STORE of \\Deleted")
        untagged, st = x.sealed("UID EXPUNGE 1")
        expect((st, [r for r in untagged if r[2:3] == ["EXPUNGE"]]), (("OK", "UID EXPUNGE completed"),
                                                                      [["*", "1", "EXPUNGE"]]), "sealed UID EXPUNGE")
        # A question about what messages say: refused in the clear, answered
        # sealed (the proxy sees the UIDs, not the question).
        expect(conn.command('UID SEARCH BODY "quarterly"')[1][0], "NO", "unsealed SEARCH BODY")
        untagged, st = x.sealed('UID SEARCH BODY "quarterly"')
        expect((st[0], [r for r in untagged if r[1:2] == ["SEARCH"]]), ("OK", [["*", "SEARCH", "2"]]),
               "sealed SEARCH BODY")

        # The sealed answer covers the untagged responses before it: a
        # proxy that alters or drops one is found out.
        class Altering:
            def __init__(self, real, change):
                self.real, self.change = real, change

            def command(self, text, literals=(), tail=""):
                untagged, st = self.real.command(text, literals, tail)
                pairs = self.change(list(zip(untagged, self.real.untagged_raw)))
                self.untagged_raw = [raw for _, raw in pairs]
                return [r for r, _ in pairs], st

        other = lambda pairs: [(["*", "SEARCH", "3"], b"* SEARCH 3\r\n") if r[1:2] == ["SEARCH"] else (r, raw)
                               for r, raw in pairs]  # noqa: E731
        dropped = lambda pairs: [(r, raw) for r, raw in pairs if r[1:2] != ["SEARCH"]]  # noqa: E731
        for change, what in ((other, "another SEARCH result"), (dropped, "a SEARCH result dropped")):
            x.conn = Altering(conn, change)
            try:
                x.sealed('UID SEARCH BODY "quarterly"')
                raise AssertionError(what + " was accepted")
            except lc.TamperedError:
                pass
        x.conn = conn
        _, st = x.sealed("DELETE nosuch")
        expect(st[0], "NO", "a sealed command that fails: its NO, sealed too")
        # Forwarding without download: CATENATE with a URL, sealed whole.
        fwd = b"From: alice@example.org\r\nSubject: fwd2\r\n\r\nSee below.\r\n"
        _, st = conn.command("APPEND INBOX CATENATE (URL \"/INBOX/;uid=2/;section=TEXT\")")
        expect(st[0], "NO", "unsealed CATENATE with a URL")
        _, st = x.sealed(b"APPEND INBOX CATENATE (TEXT {%d+}\r\n%s URL \"/INBOX/;uid=2/;section=TEXT\")"
                         % (len(fwd), fwd))
        expect(st[0], "OK", "sealed CATENATE with a URL: " + st[1])
        # Replayed, re-ordered and altered seals; what cannot be sealed.
        here = "XSEALED INBOX %d" % x.uidvalidity  # a seal's context: the mailbox selected
        first = x.seal(here, b"NOOP")
        second = x.seal(here, b"NOOP")
        expect(conn.command("XSEALED", [("~{X", second)])[1][0], "OK", "the later seal")
        expect(conn.command("XSEALED", [("~{X", first)])[1],
               ("NO", "[NOPERM] The sealed command's sequence number is not above the last one"), "an earlier seal")
        expect(conn.command("XSEALED", [("~{X", second)])[1][0], "NO", "a replayed seal")
        altered = bytearray(x.seal(here, b"UID EXPUNGE 2"))
        altered[40] ^= 1
        expect(conn.command("XSEALED", [("~{X", bytes(altered))])[1],
               ("NO", "[NOPERM] The sealed command does not open under the session's key and binding"),
               "an altered seal")
        expect(x.sealed("IDLE")[1], ("BAD", "IDLE cannot be sealed"), "IDLE sealed (the BAD sealed too)")
        expect(x.sealed("FROB")[1], ("BAD", "Unknown command FROB"), "an unknown command sealed")
        # A proxy that selects another mailbox behind the device's back
        # cannot make a sealed command act there: the seal does not open,
        # and the client sees no sealed answer.
        conn.command("SELECT Drafts")
        try:
            x.sealed("UID EXPUNGE 2")
            raise AssertionError("a seal for INBOX ran in Drafts")
        except lc.TamperedError:
            pass
        x.select("INBOX")
        expect(x.sealed("NOOP\r\nb NOOP")[1], ("BAD", "The sealed command is not one whole command"),
               "two commands in one seal")
        expect(x.sealed("XSEALED")[1][0], "BAD", "a seal in a seal")

        # A second device's key opens nothing of this session.
        other_id, other_key = srv.add_key("alice", "tablet")
        wrong = lc.seal(other_key, bytes.fromhex(other_id), 99, x.binding, "APPEND INBOX", note)
        _, st = conn.command("APPEND INBOX", [("~{X", wrong)])
        expect(st[0], "NO", "an object under another key")

        # Revoking the key ends the session that uses it.
        expect(srv.key("revoke", "alice", key_id)[0], 0, "key revoke")
        expect(conn.ended(), True, "the session of a revoked key ended")
        conn2 = lc.Connection("127.0.0.1", relay.port)
        conn2.login("alice+phone", "relay pw")
        _, st = conn2.command("XSEALED", [("~{X", first)])
        expect(st, ("NO", "[NOPERM] XSEALED needs XKEY first"), "XSEALED before XKEY")
        _, st = conn2.command("XKEY %s %s" % (key_id, "11" * 16))
        expect(st, ("NO", "[NOPERM] No key in use with that id"), "XKEY of a revoked key")
        conn2.close()
        relay.close()
        # Rotation gives the device in use (the tablet) a new key.
        code, out = srv.key("rotate", "alice")
        expect((code, out.split()[0], out.split()[3]), (0, "key", "tablet"), "key rotate: " + out)
        code, out = srv.key("list", "alice")
        expect(sorted(line.split()[-2] for line in out.splitlines()), ["in", "revoked", "revoked"],
               "key list after rotation: " + out)
        expect(srv.key("revoke", "alice"), (2, "lemonade: name a key, or --all\n"), "revoke without a key")
    print("ok")


if __name__ == "__main__":
    main()
