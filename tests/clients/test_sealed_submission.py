"""Sealed submission through a proxy (issue 16, docs/xencrypted.md): the
device appends its message encrypted, mints a submit+ URL with a sealed
GENURLAUTH, and seals the envelope (MAIL FROM, RCPT TO, BURL ... LAST) for
the submission server; the proxy identity alice+phone, logged in to
submission with Python's smtplib, can send exactly that and nothing else.
An unsealed MAIL, a recipient not in the seal, DATA, another URL, a replayed
seal and a second message on one seal are refused with 5.7.1 replies; a
recipient the server rejects fails the whole BURL. Bob receives the one
message, as the device wrote it."""

import argparse
import base64
import imaplib
import os
import re
import smtplib
import ssl
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "clients", "python"))
sys.path.insert(0, HERE)
import lemonade_client as lc  # noqa: E402
from lemonade_server import LemonadeServer  # noqa: E402
from test_python_imaplib import expect  # noqa: E402


def bob_messages(srv):
    m = imaplib.IMAP4("127.0.0.1", srv.imap_port)
    m.login("bob", "bob pw")
    m.select("INBOX", readonly=True)
    typ, data = m.uid("FETCH", "1:*", "(BODY.PEEK[TEXT])")
    m.logout()
    return [d[1] for d in data if isinstance(d, tuple)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    options = ["server.hostname=example.org", 'server.domains=["example.org"]',
               "imap.urlauth_submit_users=submitserver", "submission.burl_user=submitserver",
               "submission.burl_password=secret", "server.user_check_interval=200ms"]
    with LemonadeServer(args.lemonade, users={"alice": "alice pw", "bob": "bob pw", "submitserver": "secret"},
                        options=options, proxies=[("alice", "phone", "relay pw")]) as srv:
        key_id, key = srv.add_key("alice", "phone")

        # Mail in alice's Drafts that no device appended encrypted (alice
        # herself, in the clear): a sealed BURL may not send it.
        own = lc.Connection("127.0.0.1", srv.imap_port)
        own.login("alice", "alice pw")
        _, st = own.command("APPEND Drafts", [b"From: alice@example.org\r\nSubject: clear\r\n\r\nClear.\r\n"])
        uidvalidity, uid = re.match(r"\[APPENDUID (\d+) (\d+)\]", st[1]).groups()
        untagged, st = own.command('GENURLAUTH "imap://alice@example.org/Drafts;UIDVALIDITY=%s/;UID=%s;'
                                   'urlauth=submit+alice" INTERNAL' % (uidvalidity, uid))
        clear_url = [r[2] for r in untagged if r[1:2] == ["GENURLAUTH"]][0]
        own.close()

        # The device, through the proxy's IMAP session: its message appended
        # encrypted, and a submit+ URL for it minted sealed.
        conn = lc.Connection("127.0.0.1", srv.imap_port)
        conn.login("alice+phone", "relay pw")
        x = lc.Xenc(conn, "alice", key_id, key)
        x.start()
        note = b"From: alice@example.org\r\nTo: bob@example.org\r\nSubject: sealed\r\n\r\nSealed note 4417.\r\n"
        _, st = x.append("Drafts", note)
        expect(st[0], "OK", "encrypted APPEND")
        uidvalidity, uid = re.match(r"\[APPENDUID (\d+) (\d+)\]", st[1]).groups()
        x.select("Drafts")
        rump = "imap://alice@example.org/Drafts;UIDVALIDITY=%s/;UID=%s;urlauth=submit+alice" % (uidvalidity, uid)
        untagged, st = x.sealed('GENURLAUTH "%s" INTERNAL' % rump)
        expect(st[0], "OK", "sealed GENURLAUTH: " + st[1])
        url = [r[2] for r in untagged if r[1:2] == ["GENURLAUTH"]][0]
        expect(url.startswith(rump + ":INTERNAL:"), True, "the URL: " + url)
        # A forward the device composed (a sealed CATENATE of a part of
        # another message): its own too, so a sealed BURL may send it.
        _, st = x.sealed('APPEND Drafts CATENATE (URL "/Drafts;UIDVALIDITY=%s/;UID=%s/;section=TEXT")'
                         % (uidvalidity, uid))
        expect(st[0], "OK", "a sealed CATENATE: " + st[1])
        fwd_uid = re.match(r"\[APPENDUID \d+ (\d+)\]", st[1]).group(1)
        untagged, st = x.sealed('GENURLAUTH "%s" INTERNAL' % rump.replace(";UID=%s;" % uid, ";UID=%s;" % fwd_uid))
        fwd_url = [r[2] for r in untagged if r[1:2] == ["GENURLAUTH"]][0]
        conn.close()

        ctx = ssl.create_default_context(cafile=srv.cert)
        ctx.check_hostname = False
        s = smtplib.SMTP("127.0.0.1", srv.submission_port)
        s.starttls(context=ctx)
        s.login("alice+phone", "relay pw")
        # Without a seal the proxy identity can send nothing.
        expect(s.docmd("MAIL", "FROM:<alice@example.org>"),
               (550, b"5.7.1 A proxy identity's MAIL FROM must be the one its device sealed (XSEALED)"),
               "unsealed MAIL")
        expect(s.docmd("XSEALED", base64.b64encode(b"x" * 60).decode()), (503, b"5.5.1 XSEALED needs XKEY first"),
               "XSEALED before XKEY")
        expect(s.docmd("XKEY", "0000000000000000 " + "00" * 16), (550, b"5.7.1 No key in use with that id"),
               "XKEY of an unknown key")
        sub = lc.SealedSubmission(s, "alice", key_id, key)
        sub.start()
        envelope = ["MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.org>", "BURL %s LAST" % url]
        obj = sub.object(envelope)
        expect(s.docmd("XSEALED", base64.b64encode(obj).decode()),
               (250, b"2.0.0 Sealed envelope accepted for 1 recipient(s)"), "the sealed envelope")
        expect(s.docmd("MAIL", "FROM:<mallory@example.org>")[0], 550, "another sender")
        expect(s.docmd("MAIL", "FROM:<alice@example.org>")[0], 250, "the sealed sender")
        expect(s.docmd("RCPT", "TO:<mallory@example.org>"),
               (550, b"5.7.1 This recipient is not in the sealed envelope"), "another recipient")
        expect(s.docmd("RCPT", "TO:<bob@example.org>")[0], 250, "the sealed recipient")
        expect(s.docmd("DATA"), (550, b"5.7.1 A proxy identity's message comes by the sealed BURL"), "DATA")
        expect(s.docmd("BURL", url.replace(";UID=%s;" % uid, ";UID=999;") + " LAST"),
               (554, b"5.7.1 This BURL is not the sealed envelope's"), "another message's URL")
        code, msg = s.docmd("BURL", url + " LAST")
        expect(sub.check_reply(code, msg), (250, "2.0.0 Message queued as 1"), "the sealed BURL, its reply sealed")
        try:
            sub.check_reply(250, b"2.0.0 Message queued as 1")
            raise AssertionError("an unsealed reply to a sealed BURL was accepted")
        except lc.TamperedError:
            pass
        # One seal, one message; a replayed seal does not open another.
        expect(s.docmd("MAIL", "FROM:<alice@example.org>")[0], 550, "a second message on the same seal")
        s.docmd("RSET")
        expect(s.docmd("XSEALED", base64.b64encode(obj).decode()),
               (554, b"5.7.1 The sealed envelope's sequence number is not above the last one"), "a replayed seal")
        # A recipient the server refuses fails the whole message: no fewer
        # recipients than the device sealed.
        expect(sub.seal(["MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.org>",
                         "RCPT TO:<nobody@example.org>", "BURL %s LAST" % url])[0], 250, "a seal for two")
        expect(s.docmd("MAIL", "FROM:<alice@example.org>")[0], 250, "MAIL")
        expect(s.docmd("RCPT", "TO:<bob@example.org>")[0], 250, "bob")
        expect(s.docmd("RCPT", "TO:<nobody@example.org>")[0] >= 500, True, "an unknown local recipient")
        code, msg = s.docmd("BURL", url + " LAST")
        expect(sub.check_reply(code, msg),
               (554, "5.7.1 Not every recipient of the sealed envelope was accepted; nothing was sent"),
               "BURL with a recipient missing (its refusal sealed too)")
        expect(sub.seal(["RCPT TO:<bob@example.org>"])[0], 501, "an envelope without MAIL and BURL")
        expect(sub.seal(["MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.org>", "BURL %s LAST" % clear_url]),
               (554, b"5.7.1 The sealed BURL's message was not appended encrypted by a device of this account"),
               "a sealed BURL of a message no device appended encrypted")
        expect(sub.seal(["MAIL FROM:<alice@example.org>", "RCPT TO:<bob@example.org>", "BURL %s LAST" % fwd_url]),
               (250, b"2.0.0 Sealed envelope accepted for 1 recipient(s)"), "a sealed BURL of the device's forward")
        s.quit()

        deadline = time.time() + 15
        got = []
        while time.time() < deadline and not got:
            got = bob_messages(srv)
            time.sleep(0.2)
        expect(got, [b"Sealed note 4417.\r\n"], "bob received the one message, as the device wrote it")

        # Revoking the device key ends the submission session that uses it
        # (within server.user_check_interval): 421 4.7.0, then the close.
        s = smtplib.SMTP("127.0.0.1", srv.submission_port)
        s.starttls(context=ctx)
        s.login("alice+phone", "relay pw")
        lc.SealedSubmission(s, "alice", key_id, key).start()
        code, out = srv.key("revoke", "alice", key_id)
        expect(code, 0, "revoked: " + out)
        deadline = time.time() + 10
        ended = None
        while time.time() < deadline and ended is None:
            try:
                reply = s.docmd("NOOP")
                if reply[0] == 421:
                    ended = reply
                time.sleep(0.2)
            except smtplib.SMTPServerDisconnected:
                ended = "closed"
        expect(ended == (421, b"4.7.0 example.org Device key revoked; closing the connection") or
               (ended == "closed" and "event=key_revoked_session" in srv.log()), True,
               "the session of the revoked key ended: %r" % (ended,))
    print("ok")


if __name__ == "__main__":
    main()
