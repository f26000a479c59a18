#!/usr/bin/env python3
"""Relaying through a smarthost (issue 14, relay.smarthost): a small
SMTP server of the test's own stands in for the smarthost on loopback
(test_postfix.py has Postfix in that role). Mail for other domains is
accepted at RCPT only when a smarthost is set; the queue hands it over
(dot-stuffing kept right, the message byte for byte after Received:); a
550 at the smarthost fails the recipient and brings the sender a failure
report (RFC 3464); a 451 keeps it in the queue (`lemonade queue list`);
with relay.tls = "require" and a smarthost without STARTTLS nothing is
sent and the mail waits.

Usage: test_smtp_relay.py --lemonade BIN"""

import argparse
import os
import smtplib
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from lemonade_server import LemonadeServer, free_port  # noqa: E402
from mail_checks import inbox  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


class Sink:
    """A minimal SMTP server: RCPT reject@ gets 550, later@ gets 451."""

    def __init__(self, dsn=False, eightbit=True):
        self.port = free_port()
        self.dsn = dsn
        self.eightbit = eightbit
        self.lines = []     # every MAIL and RCPT line as received
        self.received = []  # (sender, [recipients], data)
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen()
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self.session, args=(conn,), daemon=True).start()

    def session(self, conn):
        f = conn.makefile("rb")
        send = lambda line: conn.sendall(line.encode() + b"\r\n")  # noqa: E731
        send("220 sink.example ESMTP")
        sender, rcpts = None, []
        while True:
            line = f.readline()
            if not line:
                return
            cmd = line.decode().strip()
            verb = cmd.split(" ")[0].upper()
            if verb == "EHLO":
                send("250-sink.example")
                send("250-SIZE 100000000")
                if self.dsn:
                    send("250-DSN")
                if self.eightbit:
                    send("250-8BITMIME")
                send("250 HELP")
            elif verb == "MAIL":
                self.lines.append(cmd)
                sender, rcpts = cmd[10:].split(">")[0].lstrip("<"), []
                send("250 2.1.0 ok")
            elif verb == "RCPT":
                self.lines.append(cmd)
                addr = cmd[8:].split(">")[0].lstrip("<")
                if addr.startswith("reject@"):
                    send("550 5.1.1 no such user")
                elif addr.startswith("later@"):
                    send("451 4.2.0 try later")
                else:
                    rcpts.append(addr)
                    send("250 2.1.5 ok")
            elif verb == "DATA":
                send("354 go")
                data = b""
                while True:
                    l = f.readline()
                    if l == b".\r\n":
                        break
                    data += l[1:] if l.startswith(b".") else l
                self.received.append((sender, rcpts, data))
                send("250 2.0.0 Ok: queued as SINK%d" % len(self.received))
            elif verb == "QUIT":
                send("221 2.0.0 bye")
                return
            else:
                send("250 ok")


def after_received(raw):
    lines = raw.split(b"\r\n")
    i = 0
    while i < len(lines) and lines[i].startswith(b"Received:"):
        i += 1
        while i < len(lines) and lines[i][:1] in (b"\t", b" "):
            i += 1
    return b"\r\n".join(lines[i:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    msg = (b"From: alice@localhost\r\nTo: carol@example.net\r\nSubject: relayed\r\nDate: Fri, 04 Dec 2026 10:00:00 +0000\r\n"
           b"Message-ID: <relay@localhost>\r\n\r\n.a line with a dot\r\nend\r\n")
    # Relaying off (no smarthost, relay.mx = false): refused at RCPT.
    with LemonadeServer(args.lemonade, users={"alice": "pw"}, options=["relay.mx=false"]) as srv:
        with smtplib.SMTP("127.0.0.1", srv.submission_port) as s:
            s.login("alice", "pw")
            s.mail("alice@localhost")
            code, text = s.rcpt("carol@example.net")
            check(code == 550 and text.startswith(b"5.7.1 "),
                  "relaying off: RCPT for another domain is 550 5.7.1 (%d %r)" % (code, text))
    sink = Sink()
    opts = ["relay.smarthost=127.0.0.1:%d" % sink.port, "relay.tls=none"]
    with LemonadeServer(args.lemonade, users={"alice": "pw"}, options=opts) as srv:
        with smtplib.SMTP("127.0.0.1", srv.submission_port) as s:
            s.login("alice", "pw")
            refused = s.sendmail("alice@localhost", ["carol@example.net", "reject@example.net", "later@example.net"], msg)
            check(refused == {}, "smarthost set: all three recipients accepted at RCPT")
        deadline = time.time() + 10
        while time.time() < deadline and not sink.received:
            time.sleep(0.1)
        check(len(sink.received) == 1, "the smarthost got the message once")
        if sink.received:
            sender, rcpts, data = sink.received[0]
            check(sender == "alice@localhost" and rcpts == ["carol@example.net"],
                  "envelope at the smarthost: %r %r" % (sender, rcpts))
            check(after_received(data) == msg, "the message arrived byte for byte after Received:")
        time.sleep(0.5)
        reports = inbox(srv.imap_port, "alice", "pw")
        check(len(reports) == 1 and b"Final-Recipient: rfc822; reject@example.net\r\nAction: failed\r\nStatus: 5.1.1"
              in reports[0] and b"later@example.net" not in reports[0],
              "alice got a failure report for reject@ only")
        out = subprocess.run([args.lemonade, "queue", "list", "--data-dir", srv.data_dir], capture_output=True).stdout
        check(b"1/3 recipients pending" in out and b"1 messages" in out, "later@ waits in the queue: %r" % out)
        show = subprocess.run([args.lemonade, "queue", "show", out.split()[0].decode(), "--data-dir", srv.data_dir],
                              capture_output=True).stdout
        check(b"<later@example.net> pending, 1 attempts" in show and b"451 4.2.0 try later" in show,
              "queue show: later@ pending with the smarthost's reply")
    # relay.tls = "require" and no STARTTLS at the smarthost: nothing sent.
    sink2 = Sink()
    opts = ["relay.smarthost=127.0.0.1:%d" % sink2.port]
    with LemonadeServer(args.lemonade, users={"alice": "pw"}, options=opts) as srv:
        with smtplib.SMTP("127.0.0.1", srv.submission_port) as s:
            s.login("alice", "pw")
            s.sendmail("alice@localhost", ["carol@example.net"], msg)
        time.sleep(1.0)
        check(not sink2.received, "relay.tls=require: nothing sent without STARTTLS")
        out = subprocess.run([args.lemonade, "queue", "show", "1", "--data-dir", srv.data_dir], capture_output=True).stdout
        check(b"451 4.7.5" in out, "queue show: waiting for TLS (%r)" % out[-200:])
    # RFC 3461 §5.2: the DSN parameters go along to a smarthost that offers
    # DSN, and then the success report is the smarthost's to make, not ours;
    # to one that does not, a NOTIFY=SUCCESS recipient is reported "relayed".
    for dsn in (True, False):
        sink3 = Sink(dsn=dsn)
        opts = ["relay.smarthost=127.0.0.1:%d" % sink3.port, "relay.tls=none"]
        with LemonadeServer(args.lemonade, users={"alice": "pw"}, options=opts) as srv:
            with smtplib.SMTP("127.0.0.1", srv.submission_port) as s:
                s.login("alice", "pw")
                s.mail("alice@localhost", ["RET=HDRS", "ENVID=E+2B1"])
                s.rcpt("carol@example.net", ["NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;Carol+2Bx@example.net"])
                code, _ = s.data(msg)
                check(code == 250, "dsn=%s: accepted" % dsn)
            deadline = time.time() + 10
            while time.time() < deadline and not sink3.received:
                time.sleep(0.1)
            time.sleep(0.5)
            reports = inbox(srv.imap_port, "alice", "pw")
            if dsn:
                check(sink3.lines[:2] == ["MAIL FROM:<alice@localhost> SIZE=%d RET=HDRS ENVID=E+2B1" % (
                    len(sink3.received[0][2]) if sink3.received else 0),
                    "RCPT TO:<carol@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Carol+2Bx@example.net"],
                    "DSN parameters passed on: %r" % sink3.lines)
                check(reports == [], "no success report of ours when the smarthost takes the DSN parameters")
            else:
                check(all("NOTIFY" not in l and "RET=" not in l for l in sink3.lines), "no DSN parameters to a non-DSN smarthost")
                check(len(reports) == 1 and b"Action: relayed\r\nStatus: 2.0.0" in reports[0],
                      "a \"relayed\" success report")
    # RFC 6152 §3: 8-bit content goes as it is only to a server that
    # offers 8BITMIME; to one that does not it is converted (the 8-bit body
    # part to quoted-printable, RFC 2045 §6.7), and where it cannot be (an
    # 8-bit header: RFC 6532 needs SMTPUTF8) it fails with 5.6.3. A message
    # declared BODY=8BITMIME that is 7-bit after all is sent unchanged and
    # without BODY=.
    sink4 = Sink(eightbit=False)
    opts = ["relay.smarthost=127.0.0.1:%d" % sink4.port, "relay.tls=none"]
    eight = msg.replace(b"end", "Grüße".encode()).replace(
        b"Message-ID:", b"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                        b"Content-Transfer-Encoding: 8bit\r\nMessage-ID:")
    header8 = msg.replace(b"Subject: relayed", "Subject: Grüße".encode())
    with LemonadeServer(args.lemonade, users={"alice": "pw"}, options=opts) as srv:
        with smtplib.SMTP("127.0.0.1", srv.submission_port) as s:
            s.login("alice", "pw")
            s.sendmail("alice@localhost", ["carol@example.net"], msg, mail_options=["BODY=8BITMIME"])
            s.sendmail("alice@localhost", ["dave@example.net"], eight, mail_options=["BODY=8BITMIME"])
            s.sendmail("alice@localhost", ["erin@example.net"], header8, mail_options=["BODY=8BITMIME"])
        deadline = time.time() + 10
        reports = []
        while time.time() < deadline and not (len(sink4.received) == 2 and reports):
            time.sleep(0.1)
            reports = inbox(srv.imap_port, "alice", "pw")
        got = {r[1][0]: r[2] for r in sink4.received}
        check(sorted(got) == ["carol@example.net", "dave@example.net"], "the 7-bit and the converted one went: %r" % sorted(got))
        check(all(l.startswith("MAIL FROM:<alice@localhost> SIZE=") and "BODY" not in l
                  for l in sink4.lines if l.startswith("MAIL")),
              "without BODY= to a server that has no 8BITMIME: %r" % sink4.lines)
        check(after_received(got.get("carol@example.net", b"")) == msg, "the 7-bit message unchanged")
        want = eight.replace(b"Content-Transfer-Encoding: 8bit", b"Content-Transfer-Encoding: quoted-printable").replace(
            "Grüße".encode(), b"Gr=C3=BC=C3=9Fe")
        check(after_received(got.get("dave@example.net", b"")) == want,
              "the 8-bit body converted to quoted-printable, the rest unchanged: %r" % got.get("dave@example.net"))
        check(all(b < 128 for b in got.get("dave@example.net", b"\x80")), "nothing over 127 went to the 7-bit server")
        check(len(reports) == 1 and b"Final-Recipient: rfc822; erin@example.net\r\nAction: failed\r\nStatus: 5.6.3" in reports[0],
              "the one with an 8-bit header failed 5.6.3 and was reported")
    # RFC 3030 §3: binary content to a server without BINARYMIME (this
    # sink offers 8BITMIME only) is converted too: the bare LF cannot go by
    # DATA, so the text becomes quoted-printable (=0A), and the message
    # gets the encoding's field.
    sink5 = Sink()
    opts = ["relay.smarthost=127.0.0.1:%d" % sink5.port, "relay.tls=none"]
    with LemonadeServer(args.lemonade, users={"alice": "pw"}, options=opts) as srv:
        binary = b"Subject: binary\r\nMIME-Version: 1.0\r\n\r\nline one\nbare LF above\r\n"
        with smtplib.SMTP("127.0.0.1", srv.submission_port) as s:
            s.login("alice", "pw")
            s.mail("alice@localhost", ["BODY=BINARYMIME"])
            s.rcpt("carol@example.net")
            s.send(b"BDAT %d LAST\r\n" % len(binary) + binary)
            code, text = s.getreply()
            check(code == 250, "BDAT LAST of the binary message: %d %r" % (code, text))
        deadline = time.time() + 10
        while time.time() < deadline and not sink5.received:
            time.sleep(0.1)
        got = sink5.received[0][2] if sink5.received else b""
        # (Date: and Message-ID: were added in front at submission.)
        check(b"\r\nSubject: binary\r\n" in got and
              got.endswith(b"\r\nMIME-Version: 1.0\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
                           b"line one=0Abare LF above\r\n"),
              "binary content converted for a server without BINARYMIME: %r" % got)
    # RFC 3030: binary content (BODY=BINARYMIME, here a bare LF in the
    # body) goes on by BDAT to a smarthost with BINARYMIME and CHUNKING
    # (a second Lemonade's submission port, AUTH as relay.user), byte for
    # byte; never by DATA.
    with LemonadeServer(args.lemonade, users={"bob": "pw", "relayer": "rp"},
                        options=['server.domains=["other.test"]']) as far:
        opts = ["relay.smarthost=127.0.0.1:%d" % far.submission_port, "relay.tls=none", "relay.user=relayer",
                "relay.password=rp"]
        with LemonadeServer(args.lemonade, users={"alice": "pw"}, options=opts) as srv:
            binary = b"Subject: binary\r\nMIME-Version: 1.0\r\n\r\nline one\nbare LF above\r\n"
            with smtplib.SMTP("127.0.0.1", srv.submission_port) as s:
                s.login("alice", "pw")
                s.mail("", ["BODY=BINARYMIME"])
                s.rcpt("bob@other.test")
                s.send(b"BDAT %d LAST\r\n" % len(binary) + binary)
                code, text = s.getreply()
                check(code == 250, "BDAT LAST of the binary message: %d %r" % (code, text))
            deadline = time.time() + 10
            got = []
            while time.time() < deadline and not got:
                got = inbox(far.imap_port, "bob", "pw")
                time.sleep(0.1)
            check(len(got) == 1 and got[0].endswith(binary), "relayed by BDAT, byte for byte: %r" % got[-1:])
    # A smarthost that accepts connections and never says a word: the
    # attempts to it hold at most queue.destination_concurrency workers,
    # and mail for local users still goes through at once.
    tarpit = socket.socket()
    tarpit.bind(("127.0.0.1", 0))
    tarpit.listen(16)
    held = []
    threading.Thread(target=lambda: [held.append(tarpit.accept()) for _ in range(16)], daemon=True).start()
    opts = ["relay.smarthost=127.0.0.1:%d" % tarpit.getsockname()[1], "relay.tls=none"]
    with LemonadeServer(args.lemonade, users={"alice": "pw", "bob": "pw2"}, options=opts) as srv:
        with smtplib.SMTP("127.0.0.1", srv.submission_port) as s:
            s.login("alice", "pw")
            for i in range(4):
                s.sendmail("alice@localhost", ["carol%d@example.net" % i], msg)
            start = time.time()
            s.sendmail("alice@localhost", ["bob@localhost"], msg)
        got = []
        while time.time() < start + 10 and not got:
            got = inbox(srv.imap_port, "bob", "pw2")
            time.sleep(0.05)
        took = time.time() - start
        check(len(got) == 1 and took < 5, "a local message is delivered while the smarthost hangs (%.2f s)" % took)
        time.sleep(0.5)
        check(len(held) == 2, "two connections to the hanging smarthost, not more (%d)" % len(held))
    tarpit.close()
    if failures:
        sys.exit(1)
    print("all ok")


if __name__ == "__main__":
    main()
