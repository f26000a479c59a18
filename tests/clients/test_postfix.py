#!/usr/bin/env python3
"""Postfix and Lemonade side by side on loopback (issue 14), each as the
other's peer in a real deployment:

1. Postfix delivers to Lemonade over LMTP (RFC 2033): mail for
   lemonade.test through `mailbox_transport = lmtp:unix:<lmtp.socket>`,
   mail for lemonade2.test through `lmtp:inet:127.0.0.1:<lmtp.listen>`.
   The message lands in the account's INBOX, byte for byte after the
   trace headers; an unknown recipient gets LMTP's 550 5.1.1 and Postfix
   bounces it to the sender (a Maildir on the Postfix side).
2. Postfix is Lemonade's smarthost (relay.smarthost, STARTTLS required):
   a message submitted to Lemonade arrives in the Postfix-side Maildir
   byte for byte after the trace headers, with Lemonade's Received line,
   over TLS.
3. The forward without download (RFC 5550 §8.4, RFC 4467/4468/4469): the
   client CATENATEs a draft from a stored message's attachment, mints a
   submit+ URL with GENURLAUTH, submits it with BURL ... LAST to a local
   and a remote (Postfix) recipient; both get the full bytes, and the
   client sent under 2 KB in all.

Postfix keeps line ends as LF in its Maildirs; the comparisons make the
expected CRLF text LF, nothing else.

Usage: test_postfix.py --lemonade BIN"""

import argparse
import base64
import imaplib
import os
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402
from mail_checks import inbox, self_signed  # noqa: E402
from postfix_server import PostfixServer, available  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def lf(b):
    return b.replace(b"\r\n", b"\n")


def headers_before(raw, body):
    """The header lines above `body` at the end of raw (both LF)."""
    return raw[: len(raw) - len(body)] if raw.endswith(body) else None


class CountingIMAP:
    """A raw IMAP connection that counts the octets the client sends."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.f = self.sock.makefile("rb")
        self.sent = 0
        self.f.readline()

    def send(self, data):
        self.sent += len(data)
        self.sock.sendall(data)

    def command(self, tag, text):
        self.send(tag + b" " + text + b"\r\n")
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                raise RuntimeError("IMAP connection closed")
            # A literal in a response: read its octets too.
            m = re.search(rb"\{(\d+)\}\r\n$", line)
            if m:
                line += self.f.read(int(m.group(1))) + self.f.readline()
            lines.append(line)
            if line.startswith(tag + b" "):
                return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    if not available():
        print("FAIL postfix is not installed (scripts/install-deps.sh installs it)")
        return 1
    if os.geteuid() != 0:
        print("FAIL Postfix's master runs as root: run the tests as root (as scripts/test.sh does)")
        return 1

    work = tempfile.mkdtemp(prefix="lemonade-postfix-")
    os.chmod(work, 0o755)
    cert, key = self_signed(work, "postfix.test", "DNS:postfix.test,IP:127.0.0.1")
    sock_path = os.path.join(work, "lmtp.sock")
    lem = LemonadeServer(args.lemonade, users={"alice": "pw", "submitter": "sp"},
                         options=['server.domains=["lemonade.test","lemonade2.test"]',
                                  "server.hostname=lemonade.test",
                                  "lmtp.socket=" + sock_path, "lmtp.socket_mode=0666",
                                  "imap.urlauth_submit_users=submitter",
                                  "submission.burl_user=submitter", "submission.burl_password=sp",
                                  "relay.tls=require"])
    # The smarthost's port is known before Postfix starts, Lemonade's LMTP
    # port only once Lemonade has started: Postfix first, then Lemonade,
    # then Postfix's transport to the LMTP port.
    pf = PostfixServer(lmtp="unix:" + sock_path, tls_cert=cert, tls_key=key)
    pf.start()
    try:
        # The smarthost's certificate is checked (relay.tls_verify) against
        # the test's own CA file: its IP address is in subjectAltName.
        lem.options += ["relay.smarthost=127.0.0.1:%d" % pf.smtp_port, "relay.tls_ca_file=" + cert]
        lem.start()
        try:
            pf.add_main(["relay_domains = lemonade2.test",
                         "transport_maps = inline:{lemonade2.test=lmtp:inet:127.0.0.1:%d}" % lem.lmtp_port])
            run(lem, pf)
            untrusted(lem.binary, pf)
        finally:
            lem.stop()
            if failures:
                print(lem.log()[-3000:])
            lem.close()
    finally:
        pf.stop(keep=True)
        if failures:
            print(pf.log()[-4000:])
        pf.stop()
        shutil.rmtree(work, ignore_errors=True)
    print("%d failures" % len(failures))
    return 1 if failures else 0


def untrusted(binary, pf):
    """relay.tls_verify with the system's CAs, which do not know the
    smarthost's self-signed certificate: nothing is sent, the mail waits."""
    with LemonadeServer(binary, users={"alice": "pw"},
                        options=['server.domains=["lemonade.test"]',
                                 "relay.smarthost=127.0.0.1:%d" % pf.smtp_port]) as srv:
        with smtplib.SMTP("127.0.0.1", srv.submission_port) as s:
            s.login("alice", "pw")
            s.sendmail("alice@lemonade.test", ["carol@remote.test"], b"Subject: untrusted\r\n\r\nx\r\n")
        show = b""
        deadline = time.time() + 10
        while time.time() < deadline and b"451 4.7.5" not in show:
            time.sleep(0.2)
            show = subprocess.run([binary, "queue", "show", "1", "--data-dir", srv.data_dir], capture_output=True).stdout
        check(b"<carol@remote.test> pending" in show and b"451 4.7.5 TLS with 127.0.0.1 failed" in show,
              "an untrusted smarthost certificate: not sent, kept queued (%r)" % show[-200:])
    check(pf.maildir("carol") == [] or all(b"untrusted" not in m for m in pf.maildir("carol")),
          "and nothing reached the smarthost")


def run(lem, pf):
    # 1. Postfix -> Lemonade over LMTP, the Unix socket and TCP.
    msg = (b"From: carol@remote.test\r\nTo: alice@lemonade.test\r\nSubject: over LMTP\r\n"
           b"Date: Fri, 04 Dec 2026 10:00:00 +0000\r\nMessage-ID: <lmtp-1@remote.test>\r\n\r\n"
           b"Hello Alice.\r\n.a line starting with a dot\r\n" + "Grüße\r\n".encode())
    with smtplib.SMTP("127.0.0.1", pf.smtp_port) as s:
        refused = s.sendmail("carol@remote.test", ["alice@lemonade.test", "nobody@lemonade.test"], msg)
        check(refused == {}, "Postfix accepts both recipients (it learns of nobody@ only at LMTP time)")
        s.sendmail("carol@remote.test", ["alice@lemonade2.test"], msg.replace(b"lmtp-1", b"lmtp-2"))
    got = inbox(lem.imap_port, "alice", "pw", 2)
    check(len(got) == 2, "alice's INBOX has both messages (%d)" % len(got))
    for raw, mid, path in zip(sorted(got, key=lambda r: b"lmtp-2" in r), (b"lmtp-1", b"lmtp-2"), ("unix", "inet")):
        body = msg.replace(b"lmtp-1", mid)
        trace = headers_before(raw, body)
        check(trace is not None, "lmtp:%s: the message arrived byte for byte after the trace headers" % path)
        if trace is not None:
            check(b"by postfix.test (Postfix) with ESMTP" in trace and b"Return-Path: <carol@remote.test>" in trace,
                  "lmtp:%s: Postfix's Received line and our Return-Path: %r" % (path, trace[:300]))
    bounce = pf.wait_maildir("carol", 1)
    check(len(bounce) == 1 and b"nobody@lemonade.test" in bounce[0] and b"5.1.1" in bounce[0],
          "the unknown recipient bounced to the sender with LMTP's 5.1.1")

    # 2. Lemonade -> Postfix as the smarthost, over STARTTLS.
    out = (b"From: alice@lemonade.test\r\nTo: bob@remote.test\r\nSubject: through the smarthost\r\n"
           b"Date: Fri, 04 Dec 2026 11:00:00 +0000\r\nMessage-ID: <relay-1@lemonade.test>\r\n\r\n"
           b"Hi Bob,\r\n..two dots\r\n.\r\nlast line\r\n")
    with smtplib.SMTP("127.0.0.1", lem.submission_port) as s:
        s.login("alice", "pw")
        refused = s.sendmail("alice@lemonade.test", ["bob@remote.test"], out)
        check(refused == {}, "submission accepts bob@remote.test")
    got = pf.wait_maildir("bob", 1)
    check(len(got) == 1, "bob's Maildir on the Postfix side got the message")
    if got:
        trace = headers_before(got[0], lf(out))
        check(trace is not None, "relayed byte for byte after the trace headers")
        if trace is not None:
            # RFC 3848: ESMTPA, an authenticated client without TLS.
            check(re.search(rb"Received: from \[127\.0\.0\.1\] \(\[127\.0\.0\.1\]\)\n\tby lemonade\.test \(Lemonade\) with ESMTPA\n"
                            rb"\tfor <bob@remote\.test>; ", trace) is not None,
                  "Lemonade's Received line is there, with ESMTPA (RFC 3848)")
            check(re.search(rb"by postfix\.test \(Postfix\) with ESMTPS id", trace) is not None,
                  "Postfix received it over TLS (ESMTPS)")

    # 3. The forward without download, to a local and a remote recipient.
    part = base64.encodebytes(os.urandom(150000)).replace(b"\n", b"\r\n")
    stored = (b"From: agent@remote.test\r\nTo: alice@lemonade.test\r\nSubject: Your trip\r\nMIME-Version: 1.0\r\n"
              b"Content-Type: multipart/mixed; boundary=\"t\"\r\n\r\n--t\r\nContent-Type: text/plain\r\n\r\n"
              b"See attached.\r\n--t\r\nContent-Type: application/pdf; name=\"trip.pdf\"\r\n"
              b"Content-Transfer-Encoding: base64\r\n\r\n" + part + b"--t--\r\n")
    setup = imaplib.IMAP4("127.0.0.1", lem.imap_port)
    setup.login("alice", "pw")
    setup.append("INBOX", None, None, stored)
    setup.create("Drafts")
    setup.logout()
    # The client's part: select, CATENATE, GENURLAUTH, then SMTP.
    c = CountingIMAP(lem.imap_port)
    c.command(b"a1", b"LOGIN alice pw")
    r = c.command(b"a2", b"SELECT INBOX")
    uidvalidity = re.search(rb"UIDVALIDITY (\d+)", b"".join(r)).group(1)
    exists = int([l for l in r if l.endswith(b"EXISTS\r\n")][0].split()[1])
    r = c.command(b"a3", b"FETCH %d (UID)" % exists)
    uid = int(re.search(rb"UID (\d+)", r[0]).group(1))
    head = (b"From: alice@lemonade.test\r\nTo: alice@lemonade.test, bob@remote.test\r\nSubject: Fwd: Your trip\r\n"
            b"Date: Fri, 04 Dec 2026 12:00:00 +0000\r\nMessage-ID: <fwd-1@lemonade.test>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"f\"\r\n\r\n--f\r\nContent-Type: text/plain\r\n\r\n"
            b"Forwarding the trip.\r\n--f\r\n")
    tail = b"\r\n--f--\r\n"
    where = b"/INBOX;UIDVALIDITY=%s/;UID=%d/;SECTION=2" % (uidvalidity, uid)
    r = c.command(b"a4", b"APPEND Drafts (\\Draft) CATENATE (TEXT {%d+}\r\n%s URL \"%s.MIME\" URL \"%s\" TEXT {%d+}\r\n%s)" % (
        len(head), head, where, where, len(tail), tail))
    m = re.search(rb"APPENDUID (\d+) (\d+)", r[-1])
    check(m is not None, "CATENATE made the draft: %r" % r[-1])
    if m is None:
        return
    url = b"imap://alice@lemonade.test/Drafts;UIDVALIDITY=%s/;UID=%s;urlauth=submit+alice" % (m.group(1), m.group(2))
    r = c.command(b"a5", b"GENURLAUTH \"%s\" INTERNAL" % url)
    token = re.search(rb'\* GENURLAUTH "([^"]+)"', b"".join(r))
    check(token is not None, "GENURLAUTH gave a submit+alice URL")
    c.command(b"a6", b"LOGOUT")
    imap_sent = c.sent

    smtp_sent = 0
    s = socket.create_connection(("127.0.0.1", lem.submission_port))
    f = s.makefile("rb")

    def reply():
        lines = [f.readline()]
        while lines[-1][3:4] == b"-":
            lines.append(f.readline())
        return lines[-1]

    def say(line):
        nonlocal smtp_sent
        smtp_sent += len(line) + 2
        s.sendall(line + b"\r\n")
        return reply()

    reply()
    say(b"EHLO phone.example")
    check(say(b"AUTH PLAIN " + base64.b64encode(b"\0alice\0pw")).startswith(b"235"), "AUTH PLAIN")
    say(b"MAIL FROM:<alice@lemonade.test>")
    say(b"RCPT TO:<alice@lemonade.test>")
    say(b"RCPT TO:<bob@remote.test>")
    burl = say(b"BURL " + token.group(1) + b" LAST")
    check(burl.startswith(b"250"), "BURL ... LAST accepted: %r" % burl)
    say(b"QUIT")
    s.close()
    total = imap_sent + smtp_sent
    check(total < 2048, "the client sent %d octets in all (IMAP %d, SMTP %d): under 2 KB" % (total, imap_sent, smtp_sent))

    # Section 2.MIME is the part's header with its blank line; section 2
    # its body without the CRLF that belongs to the closing delimiter.
    forward = (head + b"Content-Type: application/pdf; name=\"trip.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
               + part[:-2] + tail)
    mine = [g for g in inbox(lem.imap_port, "alice", "pw", 4) if b"<fwd-1@lemonade.test>" in g]
    check(len(mine) == 1 and headers_before(mine[0], forward) is not None,
          "the local recipient got the forward, %d octets byte for byte after the trace headers" % len(forward))
    got = [g for g in pf.wait_maildir("bob", 2) if b"<fwd-1@lemonade.test>" in g]
    check(len(got) == 1 and headers_before(got[0], lf(forward)) is not None,
          "the remote recipient (Postfix) got the forward byte for byte after the trace headers")


if __name__ == "__main__":
    sys.exit(main())
