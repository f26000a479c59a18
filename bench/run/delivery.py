#!/usr/bin/env python3
"""Mail delivery throughput against Lemonade, Dovecot (Debian dovecot-lmtpd
and dovecot-submissiond 2.3) and Postfix (its smtpd, as an instance of its
own) on loopback, one after the other, in one run:

  lmtp        LMTP (RFC 2033) messages/s: C clients, each on its own
              connection, LHLO once, then per message MAIL, RCPT (one
              recipient: the client's own account), DATA and the
              dot-stuffed message, until the per-recipient reply.
  submission  Submission (RFC 6409) messages/s: C clients, each EHLO and
              AUTH PLAIN once (an argon2id verification per connection, on
              every server), then per message MAIL, RCPT (a local account),
              DATA. Counted: the 250 after DATA (the message is queued);
              also timed: until every message is in its INBOX.
  fsync       4 KB pwrite + fsync (and + fdatasync) in a loop, one thread,
              on the disk the data directories are on: the rate a server
              that syncs every message one at a time cannot beat.

The submission rows: lemonade (its queue delivers into its own store);
postfix (Postfix smtpd, SASL by Dovecot's auth, delivering by LMTP to
Dovecot's Maildirs: the usual Postfix + Dovecot pair); dovecot (Dovecot's
submission service, relaying to that same Postfix, which delivers by LMTP to
Dovecot). After every run each account's INBOX must hold exactly the
messages sent to it (count and Message-IDs: IMAP for Lemonade, the Maildir
files for Dovecot); a run that fails prints FAILED.

Prints medians over BENCH_REPS runs (median absolute deviation in
parentheses) and the ratios. Knobs: see bench/README.md."""

import argparse
import asyncio
import base64
import email.utils
import json
import os
import random
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "support"))
from postfix_server import MASTER_CF  # noqa: E402  (the same master.cf as the tests' Postfix)
from servers import PASSWORD, Dovecot, Lemonade, cpu_seconds, extra_options, free_port, server_env, wait_greeting  # noqa: E402

DOMAIN = "bench.test"
TESTS = ("lmtp", "submission")
GENERATOR = "python"  # main() sets it: --generator
SERVERS = ("lemonade", "dovecot", "postfix")
WORDS = ("the meeting report budget quarterly invoice schedule project review draft customer "
         "delivery update please find attached regards thanks tomorrow morning afternoon agenda "
         "minutes action items follow up question answer numbers figures team office travel "
         "contract signed version final change request support ticket release notes").split()


def wait_smtp(port, proc, timeout=30):
    """Waits for an SMTP/LMTP 220 greeting on port."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                if s.makefile("rb").readline().startswith(b"220"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("no 220 on port %d" % port)


# ---------------------------------------------------------------- servers

class DeliveryLemonade(Lemonade):
    """servers.Lemonade with LMTP and submission listening too, the bench's
    accounts receiving mail for NAME@bench.test. auth.cache_ttl = 0: every
    AUTH verifies its argon2id hash, as Dovecot's does (its cache keeps the
    hash, not the verification)."""

    def __init__(self, binary, work, names):
        super().__init__(binary, work, 0, names=names, jobs=2)
        self.lmtp_port, self.submission_port = free_port(), free_port()

    def start(self):
        self.proc = subprocess.Popen([self.binary, "serve", "--data-dir", self.dir,
                                      "-o", "imap.listen=127.0.0.1:%d" % self.port, "-o", "imaps.listen=",
                                      "-o", "submission.listen=127.0.0.1:%d" % self.submission_port,
                                      "-o", "submissions.listen=", "-o", "lmtp.listen=127.0.0.1:%d" % self.lmtp_port,
                                      "-o", "server.domains=[\"%s\"]" % DOMAIN, "-o", "auth.cache_ttl=0",
                                      "-o", "log.level=warn", "-o", "server.max_connections=20000",
                                      *extra_options()],
                                     stderr=open(os.path.join(self.dir, "bench.log"), "ab"), env=server_env())
        wait_greeting(self.port, self.proc)
        wait_smtp(self.lmtp_port, self.proc)
        wait_smtp(self.submission_port, self.proc)
        self.pid = self.proc.pid

    def pids(self):
        return [self.pid]


class DeliveryDovecot(Dovecot):
    """servers.Dovecot (passwd-file with Lemonade's argon2id hashes, Maildir,
    mail_fsync = optimized, its default) with LMTP and submission too: a
    recipient u0@bench.test is user u0 (auth_username_format = %Ln);
    submission relays to Postfix on relay_port; Postfix authenticates its
    submission clients through the auth-postfix socket."""

    def __init__(self, work, hashes, relay_port):
        self.lmtp_port, self.submission_port, self.relay_port = free_port(), free_port(), relay_port
        super().__init__(work, hashes)

    def configure(self, tls=False, hibernate_timeout=None, imap_process_limit=None):
        super().configure(tls, hibernate_timeout, imap_process_limit)
        with open(self.conf, "a") as f:
            f.write(f"""
# bench/run/delivery.py: LMTP and submission (later settings override the above)
protocols = imap lmtp submission
auth_username_format = %Ln
hostname = {DOMAIN}
submission_relay_host = 127.0.0.1
submission_relay_port = {self.relay_port}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {self.lmtp_port}
  }}
}}
service submission-login {{
  inet_listener submission {{
    address = 127.0.0.1
    port = {self.submission_port}
  }}
}}
service auth {{
  unix_listener auth-postfix {{
    mode = 0666
  }}
}}
""")

    def start(self):
        super().start()
        wait_smtp(self.lmtp_port, None)
        wait_smtp(self.submission_port, None)

    def auth_socket(self):
        return os.path.join(self.dir, "run", "auth-postfix")

    def maildir_files(self, user):
        """{base name: path} of the messages in user's INBOX (new/ and cur/)."""
        out = {}
        for sub in ("new", "cur"):
            d = os.path.join(self.dir, "home", user, "Maildir", sub)
            try:
                for name in os.listdir(d):
                    out[name.split(":")[0]] = os.path.join(d, name)
            except FileNotFoundError:
                pass
        return out




class Postfix:
    """A Postfix instance of its own (as tests/support/postfix_server.py
    runs one): config and queue under work/postfix, one smtpd on a loopback
    port, not chrooted, run as root. AUTH PLAIN through Dovecot's auth
    (smtpd_sasl_type = dovecot); mail for bench.test goes by LMTP to
    Dovecot (relay_transport), so it lands in the same Maildirs. Every
    Postfix default that shapes throughput stays (in_flow_delay = 1s,
    default_process_limit = 100, queue files fsynced before the 250)."""

    name = "postfix"

    def __init__(self, work):
        self.dir = os.path.join(work, "postfix")
        self.port = free_port()
        self.etc = os.path.join(self.dir, "etc")

    def configure(self, dovecot):
        import pwd
        os.makedirs(self.etc)
        os.makedirs(os.path.join(self.dir, "queue"))
        os.makedirs(os.path.join(self.dir, "data"))
        pw = pwd.getpwnam("postfix")
        os.chown(os.path.join(self.dir, "data"), pw.pw_uid, pw.pw_gid)
        main = [
            "compatibility_level = 3.6",
            "queue_directory = %s/queue" % self.dir,
            "data_directory = %s/data" % self.dir,
            "maillog_file = %s/maillog" % self.dir,
            "maillog_file_prefixes = %s" % self.dir,
            "myhostname = postfix.%s" % DOMAIN,
            "mydomain = postfix.%s" % DOMAIN,
            "myorigin = postfix.%s" % DOMAIN,
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "mynetworks = 127.0.0.0/8",
            "smtpd_banner = $myhostname ESMTP",
            "biff = no",
            "append_dot_mydomain = no",
            "smtp_dns_support_level = disabled",
            "lmtp_dns_support_level = disabled",
            "mydestination =",
            "local_recipient_maps =",
            "alias_maps =",
            "alias_database =",
            "relay_domains = %s" % DOMAIN,
            "relay_recipient_maps =",
            "relay_transport = lmtp:inet:127.0.0.1:%d" % dovecot.lmtp_port,
            "smtpd_sasl_auth_enable = yes",
            "smtpd_sasl_type = dovecot",
            "smtpd_sasl_path = %s" % dovecot.auth_socket(),
            "smtpd_recipient_restrictions = permit_sasl_authenticated, permit_mynetworks, reject_unauth_destination",
        ]
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write("\n".join(main) + "\n")
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(port=self.port))

    def start(self):
        r = subprocess.run(["/usr/sbin/postfix", "-c", self.etc, "start"], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError("postfix did not start: %s%s\n%s" % (r.stdout, r.stderr, self.log()))
        wait_smtp(self.port, None)
        with open(os.path.join(self.dir, "queue", "pid", "master.pid")) as f:
            self.pid = int(f.read())

    def stop(self):
        subprocess.run(["/usr/sbin/postfix", "-c", self.etc, "stop"], capture_output=True)
        pid = os.path.join(self.dir, "queue", "pid", "master.pid")
        deadline = time.time() + 10
        while time.time() < deadline and os.path.exists(pid):
            time.sleep(0.1)

    def log(self):
        try:
            with open(os.path.join(self.dir, "maillog"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""


# ---------------------------------------------------------------- messages

def stuff(piece):
    """Dot-stuffing (RFC 5321 §4.5.2) of a piece that starts at a line."""
    out = piece.replace(b"\r\n.", b"\r\n..")
    return b"." + out if out.startswith(b".") else out


def text_lines(rnd, octets):
    """Plain text of about octets octets, CRLF lines of at most 72, one of
    them starting with a dot (so dot-stuffing is exercised)."""
    lines, total = [], 0
    while total < octets:
        words, n = [], 0
        while n < 60:
            w = rnd.choice(WORDS)
            words.append(w)
            n += len(w) + 1
        line = " ".join(words)
        if len(lines) == 2:
            line = "..." + line
        lines.append(line)
        total += len(line) + 2
    text = ("\r\n".join(lines) + "\r\n").encode()
    if len(text) > octets:
        text = text[:max(octets - 2, 0)].rstrip(b"\r\n") + b"\r\n"
    return text


def attachment(size, seed):
    """A base64 attachment (76-character lines) of about size octets."""
    raw = (size // 78) * 57
    rnd = random.Random(seed)
    data = rnd.randbytes(raw) if hasattr(rnd, "randbytes") else os.urandom(raw)
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def message(size, run, c, i, sender, rcpt, attach):
    """(head, tail pieces, message-id, octets): the message's octets,
    dot-stuffed, as pieces that split at lines (the per-message header and
    text; then the client's attachment, already stuffed, and the closing
    boundary), so the 1 MB attachment is built once per client, not per
    message. Every message has its own Message-ID, Date
    and text, so none is stored by reference to another."""
    rnd = random.Random("%s/%d/%d" % (run, c, i))
    mid = "<%s.c%d.m%d@client.%s>" % (run, c, i, DOMAIN)
    hdr = ("From: Sender %d <%s>\r\nTo: <%s>\r\nSubject: %s %s (%d)\r\nDate: %s\r\nMessage-ID: %s\r\n"
           "MIME-Version: 1.0\r\n" % (c, sender, rcpt, rnd.choice(WORDS).capitalize(), rnd.choice(WORDS), i,
                                      email.utils.formatdate(localtime=True), mid)).encode()
    if attach is None:
        hdr += b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        head = hdr + text_lines(rnd, size - len(hdr))
    else:
        b = b"=_bench_%d_%d" % (c, i)
        hdr += b"Content-Type: multipart/mixed; boundary=\"" + b + b"\"\r\n\r\n"
        head = (hdr + b"--" + b + b"\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n" + text_lines(rnd, 1500) +
                b"--" + b + b"\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
                b"Content-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n")
        # The attachment (dot-stuffed once per client, drive()) is shared
        # by the client's messages: the tail is its pieces, not a copy.
        closing = b"--" + b + b"--\r\n"
        return stuff(head), [attach, closing], mid, len(head) + len(attach) + len(closing)
    return stuff(head), [], mid, len(head)


# ---------------------------------------------------------------- clients

async def reply(reader):
    lines = []
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("connection closed")
        lines.append(line)
        if len(line) < 4 or line[3:4] != b"-":
            return int(line[:3]), lines


async def client(c, port, lmtp, messages, sender, rcpt, user, out):
    """One connection, its messages (built before the clock starts, so
    the generator's share of the two cores is the protocol's alone); out
    gets ok, errors, first_error, last (time of the last 250), ids
    (Message-IDs accepted)."""
    res = {"ok": 0, "errors": 0, "first_error": None, "last": None, "ids": [], "octets": 0}
    out[c] = res

    def error(what, lines):
        res["errors"] += 1
        if res["first_error"] is None:
            res["first_error"] = "%s: %s" % (what, b"".join(lines).decode(errors="replace").strip())

    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
    try:
        code, lines = await reply(reader)
        if code != 220:
            error("greeting", lines)
            return
        writer.write(b"%s client%d.%s\r\n" % (b"LHLO" if lmtp else b"EHLO", c, DOMAIN.encode()))
        code, lines = await reply(reader)
        if code != 250:
            error("LHLO" if lmtp else "EHLO", lines)
            return
        pipelining = any(ln[4:].strip().upper() == b"PIPELINING" for ln in lines)
        if user:
            writer.write(b"AUTH PLAIN " + base64.b64encode(b"\0%s\0%s" % (user.encode(), PASSWORD.encode())) + b"\r\n")
            code, lines = await reply(reader)
            if code != 235:
                error("AUTH", lines)
                return
        for head, tail, mid, octets in messages:
            cmds = [b"MAIL FROM:<%s>\r\n" % sender.encode(), b"RCPT TO:<%s>\r\n" % rcpt.encode(), b"DATA\r\n"]
            want = (250, 250, 354)
            got = []
            if pipelining:
                writer.write(b"".join(cmds))
                for _ in cmds:
                    got.append(await reply(reader))
            else:
                for cmd, w in zip(cmds, want):
                    writer.write(cmd)
                    got.append(await reply(reader))
                    if got[-1][0] != w:
                        break
            if [g[0] for g in got] != list(want):
                bad = next(g for g, w in zip(got, want) if g[0] != w)
                error("MAIL/RCPT/DATA", bad[1])
                if got[-1][0] == 354:  # cannot happen with one recipient; end the DATA cleanly
                    writer.write(b".\r\n")
                    await reply(reader)
                writer.write(b"RSET\r\n")
                await reply(reader)
                continue
            writer.write(head)
            for piece in tail:
                writer.write(piece)
            writer.write(b".\r\n")
            await writer.drain()
            code, lines = await reply(reader)  # one recipient: one reply (RFC 2033 §4.2)
            if code == 250:
                res["ok"] += 1
                res["octets"] += octets
                res["last"] = time.perf_counter()
                res["ids"].append(mid)
            else:
                error("end of DATA", lines)
        writer.write(b"QUIT\r\n")
        await writer.drain()
        try:
            await asyncio.wait_for(reply(reader), 10)
        except (asyncio.TimeoutError, ConnectionError):
            pass
    except (OSError, ConnectionError) as e:
        res["errors"] += 1
        res["first_error"] = res["first_error"] or "connection: %s" % e
    finally:
        writer.close()


def drive(port, lmtp, size, count, clients, run, recipients, attachments):
    """All clients at once; returns (t0, results, the generator's CPU
    seconds while they ran: the messages are built before)."""
    out = {}
    plans = []
    for c in range(clients):
        rcpt = "%s@%s" % (recipients[c], DOMAIN)
        if lmtp:
            sender, user = "sender%d@example.org" % c, None
        else:
            user = "u%d" % c
            sender = "%s@%s" % (user, DOMAIN)
        attach = stuff(attachments[c]) if attachments[c] is not None else None
        messages = [message(size, run, c, i, sender, rcpt, attach) for i in range(count)]
        plans.append((c, messages, sender, rcpt, user))

    if GENERATOR != "python":
        return drive_cxx(port, lmtp, plans)
    cpu0 = generator_cpu()

    async def all_clients():
        await asyncio.gather(*(client(c, port, lmtp, messages, sender, rcpt, user, out)
                               for c, messages, sender, rcpt, user in plans))

    t0 = time.perf_counter()
    asyncio.run(all_clients())
    return t0, out, generator_cpu() - cpu0


def drive_cxx(port, lmtp, plans):
    """The same clients in bench/load/lmtp-load (C++, a thread each): the
    messages go to it in a plan file written before the clock starts. Its
    t0 and times are CLOCK_MONOTONIC, as time.perf_counter's. Returns (t0,
    results, its CPU seconds: reading the plan included)."""
    with tempfile.NamedTemporaryFile(prefix="lmtp-plan-", delete=False) as f:
        for c, messages, sender, rcpt, user in plans:
            f.write(b"C %s %s %s %d\n" % (sender.encode(), rcpt.encode(), (user or "-").encode(), len(messages)))
            for head, tail, _, _ in messages:
                body = head + b"".join(tail)
                f.write(b"M %d\n" % len(body))
                f.write(body)
        path = f.name
    try:
        cmd = [GENERATOR, "--port", str(port), "--plan", path, "--password", PASSWORD] + (["--lmtp"] if lmtp else [])
        cpu0 = generator_cpu()
        done = subprocess.run(cmd, capture_output=True, check=True)
        cpu = generator_cpu() - cpu0
    finally:
        os.unlink(path)
    res = json.loads(done.stdout)
    out = {}
    for (c, messages, _, _, _), r in zip(plans, res["clients"]):
        out[c] = {"ok": r["ok"], "errors": r["errors"], "first_error": r["first_error"], "last": r["last"],
                  "ids": [messages[i][2] for i in r["accepted"]],
                  "octets": sum(messages[i][3] for i in r["accepted"])}
    return res["t0"], out, cpu


# ---------------------------------------------------------------- checking

class Imap:
    """A blocking IMAP session (LOGIN once), for Lemonade's counts."""

    def __init__(self, port, user):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=600)
        self.f = self.sock.makefile("rb")
        self.n = 0
        self.f.readline()
        st, lines = self.command("LOGIN %s %s" % (user, PASSWORD))
        if st != "OK":
            raise RuntimeError("LOGIN %s: %r" % (user, lines))

    def command(self, text):
        self.n += 1
        tag = "d%d" % self.n
        self.sock.sendall(("%s %s\r\n" % (tag, text)).encode())
        lines = []
        while True:
            line = self.f.readline()
            if not line:
                raise ConnectionError("closed")
            m = re.search(rb"\{(\d+)\}\r\n$", line)
            if m:
                line += self.f.read(int(m.group(1))) + self.f.readline()
            if line.startswith(tag.encode() + b" "):
                return line.split()[1].decode(), lines
            lines.append(line)

    def status(self):
        st, lines = self.command("STATUS INBOX (MESSAGES UIDNEXT)")
        m = re.search(rb"MESSAGES (\d+)", b"".join(lines))
        u = re.search(rb"UIDNEXT (\d+)", b"".join(lines))
        return int(m.group(1)), int(u.group(1))

    def new_ids(self, uidnext):
        """(SELECT's EXISTS, Message-IDs of the messages from uidnext on)."""
        st, lines = self.command("SELECT INBOX")
        exists = int(re.search(rb"\* (\d+) EXISTS", b"".join(lines)).group(1))
        st, lines = self.command("UID FETCH %d:* (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])" % uidnext)
        ids = []
        for ln in lines:
            u = re.search(rb"UID (\d+)", ln)
            m = re.search(rb"Message-ID:\s*(<[^>]*>)", ln, re.I)
            if u and m and int(u.group(1)) >= uidnext:
                ids.append(m.group(1).decode())
        self.command("CLOSE")
        return exists, ids


class LemonadeBox:
    """Counts in Lemonade's INBOXes over one IMAP session per account."""

    def __init__(self, server, accounts):
        self.sessions = {a: Imap(server.port, a) for a in accounts}

    def before(self, accounts):
        return {a: self.sessions[a].status() for a in accounts}

    def done(self, before, expected):
        """The accounts whose INBOX does not yet hold before + expected."""
        return [a for a, n in expected.items() if self.sessions[a].status()[0] < before[a][0] + n]

    def check(self, before, expected_ids):
        problems = []
        for a, ids in expected_ids.items():
            exists, got = self.sessions[a].new_ids(before[a][1])
            if exists != before[a][0] + len(ids) or sorted(got) != sorted(ids):
                problems.append("%s: %d messages, expected %d; %d of the %d Message-IDs missing" % (
                    a, exists, before[a][0] + len(ids), len(set(ids) - set(got)), len(ids)))
        return problems


class MaildirBox:
    """Counts in Dovecot's Maildirs (new/ and cur/), read as root."""

    def __init__(self, dovecot):
        self.dov = dovecot

    def before(self, accounts):
        return {a: set(self.dov.maildir_files(a)) for a in accounts}

    def done(self, before, expected):
        return [a for a, n in expected.items() if len(self.dov.maildir_files(a)) < len(before[a]) + n]

    def check(self, before, expected_ids):
        problems = []
        for a, ids in expected_ids.items():
            files = self.dov.maildir_files(a)
            got = []
            for name, path in files.items():
                if name in before[a]:
                    continue
                with open(path, "rb") as f:
                    m = re.search(rb"^Message-ID:\s*(<[^>]*>)", f.read(65536), re.I | re.M)
                got.append(m.group(1).decode() if m else "?")
            if len(files) != len(before[a]) + len(ids) or sorted(got) != sorted(ids):
                problems.append("%s: %d messages, expected %d; %d of the %d Message-IDs missing" % (
                    a, len(files), len(before[a]) + len(ids), len(set(ids) - set(got)), len(ids)))
        return problems


# ---------------------------------------------------------------- a run

def generator_cpu():
    """CPU seconds of this process and its finished children (lmtp-load)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        ru = resource.getrusage(who)
        total += ru.ru_utime + ru.ru_stime
    return total


def one_run(target, test, size, count, clients, run, accounts, timeout):
    """target: dict(name, port, box, pids). Returns the run's figures."""
    lmtp = test == "lmtp"
    if lmtp:
        recipients = accounts[:clients]
    else:
        # Client c authenticates as u<c> and writes to the next account.
        recipients = [accounts[(c + 1) % clients] for c in range(clients)]
    attachments = [attachment(size - 2500, "%s/%d" % (run, c)) if size > 65536 else None for c in range(clients)]
    box = target["box"]
    targets = sorted(set(recipients))
    before = box.before(targets)
    os.sync()  # the last run's writes on disk before the clock starts
    time.sleep(target["settle"])
    cpu0 = sum(cpu_seconds(p) for p in target["pids"]())
    t0, out, gen_cpu = drive(target["port"], lmtp, size, count, clients, run, recipients, attachments)
    lasts = [r["last"] for r in out.values() if r["last"]]
    end = max(lasts) if lasts else time.perf_counter()
    ok = sum(r["ok"] for r in out.values())
    expected, expected_ids = {}, {}
    for c, r in out.items():
        expected[recipients[c]] = expected.get(recipients[c], 0) + r["ok"]
        expected_ids.setdefault(recipients[c], []).extend(r["ids"])
    # Until every accepted message is in its INBOX (LMTP: at once).
    deadline = time.perf_counter() + timeout
    pending = box.done(before, expected)
    while pending and time.perf_counter() < deadline:
        time.sleep(0.05)
        pending = box.done(before, {a: expected[a] for a in pending})
    inbox = time.perf_counter()
    cpu1 = sum(cpu_seconds(p) for p in target["pids"]())
    problems = box.check(before, expected_ids)
    errors = sum(r["errors"] for r in out.values())
    first = next((r["first_error"] for r in out.values() if r["first_error"]), None)
    sent = count * clients
    if ok < sent:
        problems.insert(0, "%d of %d messages refused (%s)" % (sent - ok, sent, first))
    wall = end - t0
    return {"rate": ok / wall if wall > 0 else 0.0, "inbox_rate": ok / (inbox - t0), "ok": ok, "sent": sent,
            "errors": errors, "first_error": first, "problems": problems,
            "octets": sum(r["octets"] for r in out.values()) / max(ok, 1),
            "gen_cpu": gen_cpu / wall,
            "srv_cpu": cpu1 - cpu0, "wall": wall, "inbox": inbox - t0}


def fsync_rate(directory, seconds, sync):
    """4 KB pwrite at offset 0 + sync, one thread, for seconds: per second."""
    path = os.path.join(directory, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    block = os.urandom(4096)
    try:
        os.write(fd, block)
        os.fsync(fd)
        n, t0 = 0, time.perf_counter()
        while True:
            os.pwrite(fd, block, 0)
            sync(fd)
            n += 1
            t = time.perf_counter()
            if t - t0 >= seconds:
                return n / (t - t0)
    finally:
        os.close(fd)
        os.unlink(path)


# ---------------------------------------------------------------- output

def med(runs, key):
    xs = [r[key] for r in runs]
    m = statistics.median(xs)
    return m, statistics.median(abs(x - m) for x in xs)


def fmt(runs, key="rate"):
    if not runs:
        return "-"
    m, mad = med(runs, key)
    bad = any(r["problems"] for r in runs)
    return "%.1f (%.1f)%s" % (m, mad, " FAILED" if bad else "")


def ratio(a, b, key="rate"):
    if not a or not b:
        return "-"
    x, y = med(a, key)[0], med(b, key)[0]
    return "%.2f" % (x / y) if y else "-"


def report(args, res, fs):
    print()
    # The disk is shared: measured before and after the runs, the mean is
    # the limit the lem/fsync column divides by.
    print("fsync limit of the data directories' disk (%s; one thread, 4 KB pwrite at offset 0, %.0f s each): "
          "fsync %.0f/s before the runs, %.0f/s after; fdatasync %.0f/s, %.0f/s" % (
              args.where, args.fsync_seconds, fs["fsync"], fs["fsync_after"], fs["fdatasync"], fs["fdatasync_after"]))
    fs["fsync"] = (fs["fsync"] + fs["fsync_after"]) / 2
    for test in args.tests:
        rows = [(s, c) for s in args.sizes for c in args.clients]
        if test == "lmtp":
            print()
            print("LMTP delivery (RFC 2033), messages/s from first connect to last 250, median of %d runs (MAD)"
                  % args.reps)
            print("%-8s %7s %6s %20s %20s %8s %10s" % ("size", "clients", "msgs", "lemonade", "dovecot", "lem/dov",
                                                      "lem/fsync"))
            for s, c in rows:
                lem, dov = res.get(("lmtp", "lemonade", s, c)), res.get(("lmtp", "dovecot", s, c))
                lf = "%.2f" % (med(lem, "rate")[0] / fs["fsync"]) if lem else "-"
                print("%-8d %7d %6d %20s %20s %8s %10s" % (s, c, args.count[s] * c, fmt(lem), fmt(dov),
                                                           ratio(lem, dov), lf))
        else:
            print()
            print("Submission (RFC 6409), messages/s: acc = accepted (250 after DATA), inbox = until all are in "
                  "the INBOXes; median of %d runs (MAD)" % args.reps)
            names = [n for n in SERVERS if n in args.servers]
            head = "%-8s %7s %6s" % ("size", "clients", "msgs")
            for n in names:
                head += " %18s %18s" % (n + " acc", n + " inbox")
            for n in names[1:]:
                head += " %9s" % {"dovecot": "lem/dov", "postfix": "lem/pf"}[n]
            print(head)
            for s, c in rows:
                line = "%-8d %7d %6d" % (s, c, args.sub_count[s] * c)
                for n in names:
                    r = res.get(("submission", n, s, c))
                    line += " %18s %18s" % (fmt(r), fmt(r, "inbox_rate"))
                for n in names[1:]:
                    line += " %9s" % ratio(res.get(("submission", "lemonade", s, c)),
                                           res.get(("submission", n, s, c)))
                print(line)
    print()
    print("Per server and setting: mean message octets, errors, generator CPU (% of a core while the clock ran), "
          "server CPU seconds (until all in INBOX), checks")
    failed = False
    for key in sorted(res, key=lambda k: (TESTS.index(k[0]), k[2], k[3], SERVERS.index(k[1]))):
        runs = res[key]
        problems = [p for r in runs for p in r["problems"]]
        failed = failed or bool(problems)
        print("  %-10s %-8s %8d x %-3d %9.0f octets  errors %-3d gen %3.0f%%  srv %6.2f s  %s" % (
            key[0], key[1], key[2], key[3], statistics.mean(r["octets"] for r in runs),
            sum(r["errors"] for r in runs), 100 * med(runs, "gen_cpu")[0], med(runs, "srv_cpu")[0],
            "FAILED: " + "; ".join(problems[:3]) if problems else
            "every message in its INBOX (count and Message-IDs)"))
    return failed


# ---------------------------------------------------------------- main

def main():
    env = os.environ.get
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                       "build-bench", "lemonade"))
    ap.add_argument("--clients", default=env("BENCH_CLIENTS", "10,50"))
    ap.add_argument("--reps", type=int, default=int(env("BENCH_REPS", "3")))
    ap.add_argument("--sizes", default=env("BENCH_DELIVERY_SIZES", "4096,1048576"), help="message sizes, octets")
    ap.add_argument("--messages", default=env("BENCH_DELIVERY_MESSAGES", ""),
                    help="messages per client: one number, or one per size (default up to 64 KB: 300 by LMTP, "
                         "100 by submission, Lemonade's submission.max_messages; else 5)")
    ap.add_argument("--accounts", type=int, default=int(env("BENCH_DELIVERY_ACCOUNTS", "50")))
    ap.add_argument("--tests", default=env("BENCH_DELIVERY_TESTS", ",".join(TESTS)))
    ap.add_argument("--servers", default=env("BENCH_DELIVERY_SERVERS", ",".join(SERVERS)))
    ap.add_argument("--settle", type=float, default=float(env("BENCH_DELIVERY_SETTLE", "1")),
                    help="seconds between runs")
    ap.add_argument("--timeout", type=float, default=float(env("BENCH_DELIVERY_TIMEOUT", "300")),
                    help="seconds to wait for queued mail to reach the INBOXes")
    ap.add_argument("--fsync-seconds", type=float, default=float(env("BENCH_FSYNC_SECONDS", "3")))
    ap.add_argument("--generator", default=env("BENCH_DELIVERY_GENERATOR", os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "build-bench", "bench", "load", "lmtp-load")),
        help="the clients: bench/load/lmtp-load (C++), or python for the asyncio ones here")
    args = ap.parse_args()
    global GENERATOR
    GENERATOR = args.generator
    args.sizes = [int(s) for s in args.sizes.split(",")]
    args.clients = [int(c) for c in str(args.clients).split(",")]
    args.tests = [t for t in TESTS if t in args.tests.split(",")]
    args.servers = [s for s in SERVERS if s in args.servers.split(",")]
    msgs = [int(m) for m in args.messages.split(",")] if args.messages else []
    if len(msgs) == 1:
        msgs *= len(args.sizes)
    # Submission: at most 100 messages a connection, Lemonade's default
    # submission.max_messages (a real client reconnects after that).
    args.count = {s: (msgs[k] if msgs else (300 if s <= 65536 else 5)) for k, s in enumerate(args.sizes)}
    args.sub_count = {s: (msgs[k] if msgs else (100 if s <= 65536 else 5)) for k, s in enumerate(args.sizes)}
    n_accounts = max(args.accounts, max(args.clients))
    accounts = ["u%d" % i for i in range(n_accounts)]

    work = tempfile.mkdtemp(prefix="lemonade-delivery-")
    os.chmod(work, 0o755)  # Dovecot's and Postfix's processes run as other users
    args.where = work
    res = {}
    started = []
    fs = None
    try:
        print("bench: fsync rate on %s" % work, file=sys.stderr, flush=True)
        fs = {"fsync": fsync_rate(work, args.fsync_seconds, os.fsync),
              "fdatasync": fsync_rate(work, args.fsync_seconds, os.fdatasync)}
        t = time.time()
        lem = DeliveryLemonade(args.lemonade, work, accounts)
        print("bench: %d accounts made in %.1f s" % (n_accounts, time.time() - t), file=sys.stderr, flush=True)
        pf = Postfix(work)
        dov = DeliveryDovecot(work, lem.hashes(), pf.port)
        pf.configure(dov)
        targets = []  # (test, name, port, box, pids)
        if "lemonade" in args.servers:
            lem.start()
            started.append(lem)
            box = LemonadeBox(lem, accounts[:max(args.clients)])
            targets += [("lmtp", "lemonade", lem.lmtp_port, box, lem.pids),
                        ("submission", "lemonade", lem.submission_port, box, lem.pids)]
        if "dovecot" in args.servers or "postfix" in args.servers:
            dov.start()
            started.append(dov)
            box = MaildirBox(dov)

            def both():
                return [dov.pid, pf.pid]
            if "dovecot" in args.servers:
                targets.append(("lmtp", "dovecot", dov.lmtp_port, box, lambda: [dov.pid]))
            if "submission" in args.tests:
                pf.start()
                started.append(pf)
                if "postfix" in args.servers:
                    targets.append(("submission", "postfix", pf.port, box, both))
                if "dovecot" in args.servers:
                    targets.append(("submission", "dovecot", dov.submission_port, box, both))
        for test in args.tests:
            for size in args.sizes:
                for clients in args.clients:
                    for rep in range(args.reps):
                        mine = [t for t in targets if t[0] == test]
                        if rep % 2:
                            mine.reverse()  # who goes first alternates
                        for _, name, port, box, pids in mine:
                            run = "%s-%s-%d-%d-%d" % (test, name, size, clients, rep)
                            print("bench: %s %s size %d, %d clients, run %d" % (test, name, size, clients, rep + 1),
                                  file=sys.stderr, flush=True)
                            r = one_run({"port": port, "box": box, "pids": pids, "settle": args.settle},
                                        test, size, (args.count if test == "lmtp" else args.sub_count)[size],
                                        clients, run, accounts, args.timeout)
                            print("bench:   %.1f messages/s accepted, %.1f into the INBOXes (%.1f s)%s" % (
                                r["rate"], r["inbox_rate"], r["inbox"],
                                "; FAILED: " + "; ".join(r["problems"][:3]) if r["problems"] else ", checked"),
                                file=sys.stderr, flush=True)
                            res.setdefault((test, name, size, clients), []).append(r)
    finally:
        for s in reversed(started):
            try:
                s.stop()
            except Exception as e:  # noqa: BLE001 - stop the others anyway
                print("bench: stopping %s: %s" % (s.name, e), file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
    if fs is not None:
        print("bench: fsync rate again, after the runs", file=sys.stderr, flush=True)
        work = tempfile.mkdtemp(prefix="lemonade-delivery-")
        try:
            fs["fsync_after"] = fsync_rate(work, args.fsync_seconds, os.fsync)
            fs["fdatasync_after"] = fsync_rate(work, args.fsync_seconds, os.fdatasync)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    failed = report(args, res, fs)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
