"""`lemonade proxy` in front of Debian's Dovecot reduced to IMAP4rev1
(`imap_capability = IMAP4rev1`: after login it offers IMAP4rev1 and
nothing else, not even LITERAL+). The proxy mediates
(src/proxy/mediator.hpp) and adds what the backend lacks:

- the tagged OK of LOGIN and CAPABILITY list the backend's capabilities
  plus IDLE, ESEARCH, CONDSTORE, QRESYNC, ENABLE and COMPRESS=DEFLATE (RFC 7162
  itself is test_proxy_condstore.py's);
- IDLE (RFC 2177) by NOOP polls every proxy.poll_interval: a message
  APPENDed to Dovecot directly, and a flag set there, reach the idling
  client within seconds; DONE ends it with the tagged OK; Dovecot's rawlog
  shows that the proxy never sent it IDLE;
- SEARCH RETURN (RFC 4731) answered with ESEARCH from Dovecot's SEARCH,
  with the examples' shapes (MIN, MAX, COUNT, ALL; nothing found; UID);
  RETURN (SAVE) is BAD (SEARCHRES is not offered);
- COMPRESS DEFLATE (RFC 4978) toward the client, by the proxy;
- literals both ways: APPEND with a synchronizing literal and with
  LITERAL+, FETCH of a body;
- Python's imaplib through it (SELECT, STORE, EXPUNGE, FETCH);
- Node imapflow's IDLE test (imapflow_idle.mjs) over TLS through it;
- mbsync through it, three times: both ways, then nothing transferred,
  then only a flag set on Dovecot;
- a Dovecot process that hangs (SIGSTOP) or dies (SIGKILL) under an idling
  client: the client hears * BYE [UNAVAILABLE], and the connection ends;
- server.max_connections: one connection over it gets BYE [UNAVAILABLE];
- ID (RFC 2971) toward a full Dovecot that trusts the proxy: it logs the
  client's port; a client's own x-originating-ip is dropped;
- a backend with IDLE but not ESEARCH: IDLE goes to it; on SIGTERM it gets
  DONE before LOGOUT;
- SIGTERM: an idling client hears * BYE, and the proxy exits."""

import argparse
import glob
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
sys.path.insert(0, HERE)
from dovecot_server import Dovecot  # noqa: E402
from test_mbsync import maildir_state  # noqa: E402
from test_proxy import Proxy  # noqa: E402
from test_python_imaplib import expect  # noqa: E402

USERS = {"alice": "alice pw", "bob": "bob pw", "carol": "carol pw", "dave": "dave pw"}


class Conn:
    """A raw client: lines and literals as the server sends them."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=15)
        self.buf = b""
        self.z_in = self.z_out = None

    def send(self, data):
        if self.z_out:
            data = self.z_out.compress(data) + self.z_out.flush(zlib.Z_SYNC_FLUSH)
        self.s.sendall(data)

    def fill(self):
        data = self.s.recv(65536)
        if not data:
            raise EOFError("connection closed")
        self.buf += self.z_in.decompress(data) if self.z_in else data

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        i = self.buf.index(b"\r\n") + 2
        out, self.buf = self.buf[:i], self.buf[i:]
        return out

    def until(self, tag):
        lines = []
        while True:
            lines.append(self.line())
            if lines[-1].startswith(tag + b" "):
                return lines

    def compress(self):
        self.z_in = zlib.decompressobj(-15)
        self.z_out = zlib.compressobj(6, zlib.DEFLATED, -15)


def append_direct(dovecot, user, text):
    c = imaplib.IMAP4("127.0.0.1", dovecot.imap_port)
    c.login(user, USERS[user])
    c.append("INBOX", None, None, text)
    c.logout()


def mbsync_twice(px, dc):
    """mbsync through the proxy: the first sync goes both ways (COMPRESS
    on, as isync turns it on when offered), the second transfers nothing,
    a flag set on the backend travels alone in the third."""
    work = tempfile.mkdtemp(prefix="lemonade-mbsync-")
    inbox = os.path.join(work, "mail", "INBOX")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(inbox, sub))
    for i in range(3):
        with open(os.path.join(inbox, "cur", "%d.local:2,S" % i), "wb") as f:
            f.write(b"Subject: local %d\r\n\r\nbody %d\r\n" % (i, i))
    append_direct(dc, "dave", b"Subject: remote\r\n\r\nfrom the server\r\n")
    rc = os.path.join(work, "mbsyncrc")
    with open(rc, "w") as f:
        f.write(f"""IMAPAccount a
Host 127.0.0.1
Port {px.port}
User dave
Pass "dave pw"
SSLType None
AuthMechs LOGIN

IMAPStore remote
Account a

MaildirStore local
Path {work}/mail/
Inbox {inbox}
SubFolders Verbatim

Channel c
Far :remote:
Near :local:
Patterns INBOX
Create Both
Expunge Both
SyncState *
""")

    def sent(trace, what):
        # mbsync -D shows what it sends as ">>> TAG COMMAND ...".
        return [l for l in trace.splitlines() if re.search(rb">>> \d+ ", l) and what in l]

    def sync():
        r = subprocess.run(["mbsync", "-c", rc, "-a", "-Dn"], capture_output=True, timeout=120)
        if r.returncode != 0:
            raise AssertionError("mbsync failed: %s" % r.stderr.decode()[-2000:])
        return r.stdout + r.stderr

    def dovecot_state():
        c = imaplib.IMAP4("127.0.0.1", dc.imap_port)
        c.login("dave", "dave pw")
        c.select("INBOX")
        typ, data = c.fetch("1:*", "(UID FLAGS)")
        c.logout()
        return sorted(data)

    trace = sync()
    expect(b"COMPRESS DEFLATE" in trace and b"OK DEFLATE active" in trace, True, "mbsync compressed")
    expect(len(sent(trace, b"APPEND")), 3, "the first sync uploads three")
    state = maildir_state(os.path.join(work, "mail"))
    expect(len(state), 4, "and downloads one")
    remote = dovecot_state()
    expect(len(remote), 4, "Dovecot has four")
    trace = sync()
    expect((sent(trace, b"APPEND"), sent(trace, b"BODY.PEEK[]"), sent(trace, b"STORE")), ([], [], []),
           "the second sync transfers nothing")
    expect(maildir_state(os.path.join(work, "mail")), state, "the Maildir after the second sync")
    expect(dovecot_state(), remote, "Dovecot after the second sync")
    c = imaplib.IMAP4("127.0.0.1", dc.imap_port)
    c.login("dave", "dave pw")
    c.select("INBOX")
    c.store("1", "+FLAGS", "\\Flagged")
    c.logout()
    trace = sync()
    expect((sent(trace, b"APPEND"), sent(trace, b"BODY.PEEK[]")), ([], []), "the third sync moves no message")
    flagged = [k for k in maildir_state(os.path.join(work, "mail")) if k.rsplit(",", 1)[-1].startswith("F")]
    expect(len(flagged), 1, "the flag set on Dovecot reached the Maildir")
    shutil.rmtree(work, ignore_errors=True)


def id_forwarded(binary):
    """RFC 2971 ID toward a Dovecot that trusts the proxy
    (login_trusted_networks): Dovecot logs the client's port, not the
    proxy's, and a client's own x-originating-ip goes nowhere."""
    dc = Dovecot({"alice": "alice pw"})
    dc.extra_conf = ("login_trusted_networks = 127.0.0.1/32\n"
                     "login_log_format_elements = user=<%u> rip=%r rport=%{rport} lip=%l %c\n")
    with dc:
        px = Proxy(binary, "imap://127.0.0.1:%d" % dc.imap_port)
        try:
            c = Conn(px.port)
            expect(c.line(), b"* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR ID STARTTLS AUTH=PLAIN] Lemonade proxy ready\r\n",
                   "ID offered before login")
            c.send(b'i1 ID ("name" "test" "x-originating-ip" "192.0.2.66")\r\n')
            expect(c.until(b"i1"), [b'* ID ("name" "Lemonade proxy")\r\n', b"i1 OK ID completed\r\n"],
                   "ID answered by the proxy")
            c.send(b'i2 LOGIN alice "alice pw"\r\n')
            expect(c.line().startswith(b"i2 OK"), True, "logged in")
            port = c.s.getsockname()[1]
            deadline = time.time() + 5
            while "rport=%d" % port not in dc.log() and time.time() < deadline:
                time.sleep(0.1)
            logins = [l for l in dc.log().splitlines() if "Login: user=<alice>" in l]
            expect(("rport=%d" % port in logins[-1], "192.0.2.66" in dc.log()), (True, False),
                   "Dovecot logs the client's port, not a client's own x- field: %r" % logins)
        finally:
            px.stop()


def idle_passed_through(binary):
    """A backend with IDLE but without ESEARCH: the session is mediated,
    the client's IDLE goes to the backend; on SIGTERM the client hears BYE
    and the backend gets DONE before LOGOUT (a clean logout in its log)."""
    dc = Dovecot({"alice": "alice pw"})
    dc.extra_conf = "imap_capability = IMAP4rev1 IDLE\nmailbox_list_index = no\n"
    with dc:
        # Polls every 30 s: a push within seconds comes from Dovecot's IDLE.
        px = Proxy(binary, "imap://127.0.0.1:%d" % dc.imap_port, options=("proxy.poll_interval=30",))
        c = Conn(px.port)
        c.line()
        c.send(b'p1 LOGIN alice "alice pw"\r\n')
        expect(c.line(), b"p1 OK [CAPABILITY IMAP4rev1 IDLE ESEARCH CONDSTORE QRESYNC ENABLE SPECIAL-USE COMPRESS=DEFLATE] Logged in\r\n",
               "ESEARCH added, IDLE the backend's")
        c.send(b"p2 SELECT INBOX\r\np3 IDLE\r\n")
        c.until(b"p2")
        expect(c.line().startswith(b"+ "), True, "idling")
        t0 = time.time()
        append_direct(dc, "alice", b"Subject: pushed\r\n\r\nnew\r\n")
        got = []
        while b"* 1 EXISTS\r\n" not in got:
            got.append(c.line())
        expect(time.time() - t0 < 5, True, "pushed by Dovecot's IDLE, not a poll (%.1f s)" % (time.time() - t0))
        px.proc.send_signal(signal.SIGTERM)
        line = c.line()
        while line.startswith(b"* ") and not line.startswith(b"* BYE"):
            line = c.line()  # the rest of the push (* 1 RECENT)
        expect(line, b"* BYE Lemonade proxy shutting down\r\n", "SIGTERM during the backend's IDLE")
        expect(px.proc.wait(timeout=15), 0, "the proxy exits")
        deadline = time.time() + 5
        # Two sessions: the proxy's and append_direct's; both logged out.
        def ends():
            return [l.split("Disconnected: ")[1][:14] for l in dc.log().splitlines()
                    if "imap(alice)" in l and "Disconnected: " in l]

        while len(ends()) < 2 and time.time() < deadline:
            time.sleep(0.1)
        expect(ends(), ["Logged out in=", "Logged out in="],
               "the backend was logged out cleanly: %s" % dc.log()[-600:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    dc = Dovecot(USERS)
    dc.extra_conf = """imap_capability = IMAP4rev1
mailbox_list_index = no
verbose_proctitle = yes
protocol imap {
  rawlog_dir = %s/home/%%u/rawlog
}
""" % dc.dir
    with dc:
        # The rawlog directories exist before the users' first logins.
        vmail = pwd.getpwnam("dovecot")
        for user in USERS:
            for d in (os.path.join(dc.dir, "home", user), os.path.join(dc.dir, "home", user, "rawlog")):
                os.makedirs(d, exist_ok=True)
                os.chown(d, vmail.pw_uid, vmail.pw_gid)
        for i in range(3):
            append_direct(dc, "alice", b"From: carol@example.org\r\nSubject: m%d\r\n\r\nbody %d\r\n" % (i, i))
        px = Proxy(args.lemonade, "imap://127.0.0.1:%d" % dc.imap_port, options=("proxy.poll_interval=1", "proxy.backend_timeout=3"))
        try:
            # Dovecot's own post-login list, for the record.
            direct = imaplib.IMAP4("127.0.0.1", dc.imap_port)
            direct.login("alice", "alice pw")
            expect(direct.capability()[1][-1], b"IMAP4rev1", "Dovecot reduced to IMAP4rev1")
            direct.logout()

            c = Conn(px.port)
            c.line()
            c.send(b"a1 LOGIN alice {8}\r\n")
            expect(c.line(), b"+ Ready for literal data\r\n", "the proxy's own continuation before login")
            c.send(b"alice pw\r\n")
            caps = b"IMAP4rev1 IDLE ESEARCH CONDSTORE QRESYNC ENABLE SPECIAL-USE COMPRESS=DEFLATE"
            expect(c.line(), b"a1 OK [CAPABILITY " + caps + b"] Logged in\r\n", "what the proxy adds")
            c.send(b"a2 CAPABILITY\r\n")
            expect(c.until(b"a2"), [b"* CAPABILITY " + caps + b"\r\n", b"a2 OK CAPABILITY completed\r\n"],
                   "CAPABILITY after login")
            c.send(b"a3 SELECT INBOX\r\n")
            sel = c.until(b"a3")
            expect(b"* 3 EXISTS\r\n" in sel and sel[-1].startswith(b"a3 OK [READ-WRITE]"), True,
                   "SELECT through the proxy: %r" % sel)

            # RFC 4731 §3.1, from Dovecot's SEARCH.
            c.send(b"a4 SEARCH RETURN (MIN MAX COUNT ALL) ALL\r\n")
            lines = c.until(b"a4")
            expect(lines[0], b'* ESEARCH (TAG "a4") MIN 1 MAX 3 COUNT 3 ALL 1:3\r\n', "SEARCH RETURN (MIN MAX COUNT ALL)")
            expect((len(lines), lines[-1].startswith(b"a4 OK")), (2, True), "then Dovecot's tagged OK")
            c.send(b"a5 UID SEARCH RETURN () SUBJECT m1\r\n")
            lines = c.until(b"a5")
            expect(lines[0], b'* ESEARCH (TAG "a5") UID ALL 2\r\n', "UID SEARCH RETURN (): ALL, with UID")
            c.send(b"a6 SEARCH RETURN (MIN COUNT) SUBJECT nothing-like-this\r\n")
            lines = c.until(b"a6")
            expect(lines[0], b'* ESEARCH (TAG "a6") COUNT 0\r\n', "nothing found: no MIN, COUNT 0")
            c.send(b"a7 SEARCH RETURN (SAVE) ALL\r\n")
            expect(c.line(), b"a7 BAD Unknown or unsupported RETURN option SAVE\r\n", "SEARCHRES is not offered")
            c.send(b"a8 SEARCH SUBJECT m2\r\n")
            lines = c.until(b"a8")
            expect(lines[0], b"* SEARCH 3\r\n", "a SEARCH without RETURN as Dovecot answers it")
            # A SEARCH with a literal in its criteria.
            c.send(b"a9 SEARCH RETURN (COUNT) CHARSET UTF-8 BODY {6}\r\n")
            expect(c.line(), b"+ Ready for literal data\r\n", "a synchronizing literal in SEARCH")
            c.send(b"body 1\r\n")
            expect(c.until(b"a9")[0], b'* ESEARCH (TAG "a9") COUNT 1\r\n', "the literal reached Dovecot")

            # APPEND: synchronizing (the proxy continues it) and LITERAL+.
            msg = b"From: alice@example.org\r\nSubject: via proxy\r\n\r\n" + b"x" * 70000 + b"\r\n"
            c.send(b"b1 APPEND INBOX (\\Seen) {%d}\r\n" % len(msg))
            expect(c.line(), b"+ Ready for literal data\r\n", "APPEND's continuation")
            c.send(msg + b"\r\n")
            lines = c.until(b"b1")
            expect(lines[-1].startswith(b"b1 OK"), True, "APPEND through the proxy: %r" % lines)
            c.send(b"b2 APPEND INBOX {%d+}\r\n" % len(msg) + msg + b"\r\n")
            more = c.until(b"b2")
            expect(more[-1].startswith(b"b2 OK"), True, "APPEND with LITERAL+")
            c.send(b"b3 NOOP\r\n")
            lines += more + c.until(b"b3")
            expect(b"* 5 EXISTS\r\n" in lines, True, "both arrived: %r" % lines)
            c.send(b"b4 FETCH 4 BODY.PEEK[TEXT]\r\n")
            expect(c.line(), b"* 4 FETCH (BODY[TEXT] {70002}\r\n", "a literal from the backend")
            while len(c.buf) < 70002 + 3:
                c.fill()
            expect(c.buf[:70002], b"x" * 70000 + b"\r\n", "its octets")
            c.buf = c.buf[70002:]
            expect(c.until(b"b4")[-1].startswith(b"b4 OK"), True, "FETCH done")

            # IDLE, which Dovecot is not asked for.
            c.send(b"c1 IDLE\r\n")
            expect(c.line(), b"+ idling\r\n", "IDLE answered by the proxy")
            t0 = time.time()
            append_direct(dc, "alice", b"From: dave@example.org\r\nSubject: pushed\r\n\r\nnew\r\n")
            got = []
            while b"* 6 EXISTS\r\n" not in got:
                got.append(c.line())
            latency = time.time() - t0
            expect(latency < 5, True, "the push within seconds (%.2f s)" % latency)
            other = imaplib.IMAP4("127.0.0.1", dc.imap_port)
            other.login("alice", "alice pw")
            other.select("INBOX")
            other.store("1", "+FLAGS", "\\Flagged")
            other.logout()
            line = c.line()
            while not line.startswith(b"* 1 FETCH"):
                line = c.line()
            expect(b"\\Flagged" in line, True, "a flag set elsewhere: %r" % line)
            c.send(b"DONE\r\n")
            expect(c.until(b"c1")[-1], b"c1 OK IDLE terminated\r\n", "DONE")
            c.send(b"c2 IDLE\r\n")
            expect(c.line(), b"+ idling\r\n", "IDLE again")
            c.send(b"done\r\n")
            expect(c.until(b"c2")[-1], b"c2 OK IDLE terminated\r\n", "DONE in lower case")
            c.send(b"c3 IDLE\r\n")
            expect(c.line(), b"+ idling\r\n", "IDLE a third time")
            c.send(b"c4 NOOP\r\n")
            expect(c.until(b"c3")[-1], b"c3 BAD Expected DONE\r\n", "anything but DONE")

            # COMPRESS toward the client, by the proxy.
            c.send(b"d1 COMPRESS DEFLATE\r\n")
            expect(c.line(), b"d1 OK DEFLATE active\r\n", "COMPRESS")
            c.compress()
            c.send(b"d2 SEARCH RETURN (COUNT) ALL\r\n")
            expect(c.until(b"d2")[0], b'* ESEARCH (TAG "d2") COUNT 6\r\n', "compressed both ways")
            c.send(b"d3 COMPRESS DEFLATE\r\n")
            expect(c.line(), b"d3 NO [COMPRESSIONACTIVE] DEFLATE is already active\r\n", "only once")
            c.send(b"d4 IDLE\r\n")
            expect(c.line(), b"+ idling\r\n", "IDLE under COMPRESS")
            append_direct(dc, "alice", b"From: erin@example.org\r\nSubject: again\r\n\r\nnew\r\n")
            got = []
            while b"* 7 EXISTS\r\n" not in got:
                got.append(c.line())
            c.send(b"DONE\r\n")
            expect(c.until(b"d4")[-1], b"d4 OK IDLE terminated\r\n", "DONE under COMPRESS")
            c.send(b"d5 LOGOUT\r\n")
            lines = c.until(b"d5")
            expect((lines[0].startswith(b"* BYE"), lines[-1].startswith(b"d5 OK")), (True, True), "LOGOUT")

            # Python's imaplib through the proxy.
            m = imaplib.IMAP4("127.0.0.1", px.port)
            m.login("alice", "alice pw")
            expect(m.select("INBOX"), ("OK", [b"7"]), "imaplib SELECT")
            expect(m.store("2", "+FLAGS", "\\Deleted")[0], "OK", "imaplib STORE")
            typ, data = m.expunge()
            expect((typ, data), ("OK", [b"2"]), "imaplib EXPUNGE")
            typ, data = m.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            expect(data[0][1], b"Subject: m0\r\n\r\n", "imaplib FETCH")
            m.logout()

            # Dovecot's rawlog: the proxy sent it no IDLE, COMPRESS or RETURN.
            sent = b""
            for path in glob.glob(os.path.join(dc.dir, "home", "alice", "rawlog", "*.in")):
                with open(path, "rb") as f:
                    sent += f.read()
            expect(b"NOOP" in sent and b"SEARCH" in sent, True, "the rawlog holds the proxy's commands")
            expect(re.search(rb"(?im)^\S+ (IDLE|COMPRESS)|RETURN \(", sent), None,
                   "no IDLE, COMPRESS or RETURN reached Dovecot")

            # Node imapflow over TLS: its IDLE (and COMPRESS) through the proxy.
            project = os.path.join(HERE, "imapflow")
            if not os.path.isdir(os.path.join(project, "node_modules", "imapflow")):
                raise SystemExit("imapflow is not installed: run (cd tests/clients/imapflow && npm ci)")
            out = subprocess.run(["node", "imapflow_idle.mjs", str(px.tls_port), os.path.join(px.dir, "tls", "cert.pem"),
                                  "carol", "carol pw"], cwd=project, capture_output=True, timeout=60)
            expect((out.returncode, out.stdout), (0, b"PASS imapflow idle\n"),
                   "imapflow_idle.mjs through the proxy: %s" % out.stderr.decode()[-1500:])

            mbsync_twice(px, dc)
            id_forwarded(args.lemonade)
            idle_passed_through(args.lemonade)

            # Bob's Dovecot process hangs, then dies, under an idling client.
            def bob_process():
                out = subprocess.run(["pgrep", "-P", str(dc.pid), "-f", r"imap \[bob"],
                                     capture_output=True, text=True).stdout.split()
                expect(len(out), 1, "bob's imap process")
                return int(out[0])

            def idle_bob():
                c = Conn(px.port)
                c.line()
                c.send(b"e1 LOGIN bob \"bob pw\"\r\ne2 SELECT INBOX\r\ne3 IDLE\r\n")
                c.until(b"e2")
                expect(c.line(), b"+ idling\r\n", "bob idles")
                return c

            def bye(c, what):
                expect(c.line(), b"* BYE [UNAVAILABLE] The mail server failed; try again later\r\n", what)
                try:
                    rest = c.line()
                except (EOFError, OSError):
                    rest = b""
                expect(rest, b"", "and the connection ends")

            c = idle_bob()
            pid = bob_process()
            os.kill(pid, signal.SIGSTOP)
            t0 = time.time()
            bye(c, "a backend that stops answering: BYE after proxy.backend_timeout")
            expect(time.time() - t0 < 10, True, "within the time-out (%.1f s)" % (time.time() - t0))
            os.kill(pid, signal.SIGKILL)
            c = idle_bob()
            os.kill(bob_process(), signal.SIGKILL)
            bye(c, "a backend that dies")
            # server.max_connections, counted by the proxy.
            small = Proxy(args.lemonade, "imap://127.0.0.1:%d" % dc.imap_port, options=("server.max_connections=2",))
            try:
                # Proxy() probed the port with a connection of its own: its
                # session counts until the proxy has seen it close.
                time.sleep(1)
                held = [Conn(small.port), Conn(small.port)]
                for h in held:
                    expect(h.line().startswith(b"* OK [CAPABILITY"), True, "two connections served")
                third = Conn(small.port)
                expect(third.line(), b"* BYE [UNAVAILABLE] Too many connections; try again later\r\n",
                       "the third connection over server.max_connections=2")
                held[0].s.close()
                time.sleep(0.3)
                fourth = Conn(small.port)
                expect(fourth.line().startswith(b"* OK [CAPABILITY"), True, "one gone, one more served")
            finally:
                small.stop()

            # SIGTERM: an idling client hears BYE, a relayed one is closed,
            # and the proxy exits.
            c = Conn(px.port)
            c.line()
            c.send(b"f1 LOGIN alice \"alice pw\"\r\nf2 SELECT INBOX\r\nf3 IDLE\r\n")
            c.until(b"f2")
            expect(c.line(), b"+ idling\r\n", "alice idles")
            t0 = time.time()
            px.proc.send_signal(signal.SIGTERM)
            expect(c.line(), b"* BYE Lemonade proxy shutting down\r\n", "SIGTERM: BYE to an idling client")
            expect(px.proc.wait(timeout=15), 0, "the proxy exits")
            expect(time.time() - t0 < 5, True, "at once once its sessions are gone (%.1f s)" % (time.time() - t0))
            print("proxy mediated: all checks passed")
        except BaseException:
            print("---- proxy log ----\n" + px.log()[-3000:])
            raise
        finally:
            px.stop()


if __name__ == "__main__":
    main()
