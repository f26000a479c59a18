#!/usr/bin/env python3
"""Mixed IMAP workload for bench/run/mixed.py: the same commands against
any IMAP server on loopback.

  populate  fills INBOX of one user with N messages from an mbox corpus,
            200 per MULTIAPPEND command (RFC 3502) with LITERAL+, checks
            that SELECT then reports N messages, and prints the seconds it
            took.
  mixed     C clients log in as that user, each with two connections: A has
            INBOX selected, B its own folder mix-<run>-<i>. Once every
            connection is logged in and has its mailbox selected, the clock
            starts; each client then draws commands by weight (WEIGHTS
            below), for a fixed time (--seconds) or a fixed number of
            commands (--count-per-client), and times each one from sending
            the command to its tagged response:
              SELECT         A: SELECT INBOX again
              FETCH_FLAGS    A: FETCH 1:* (UID FLAGS)
              FETCH_ENV_BS   A: FETCH n:n+19 (ENVELOPE BODYSTRUCTURE)
              FETCH_BODY     A: FETCH n BODY.PEEK[]
              SEARCH_HEADER  A: SEARCH SUBJECT <word>
              SEARCH_BODY    A: SEARCH BODY <word>
              STORE          A: STORE n +FLAGS/-FLAGS (\\Flagged)
              COPY           A: COPY n mix-<run>-<i>
              APPEND         B: APPEND mix-<run>-<i> (a corpus message)
              EXPUNGE        B: NOOP and STORE 1 +FLAGS.SILENT (\\Deleted)
                                (not timed), then EXPUNGE (timed)
            INBOX keeps its size: only the client's own folder grows and
            shrinks. With --only OP one command alone: its latency without
            the others competing.

Every response is read whole, literals included. A command counts when its
tagged response is OK; a NO or BAD (or a dropped connection, after which
the client reconnects) counts as an error and is not timed. Answers are
checked: FETCH 1:* must return a UID for every message, FETCH of a range
an ENVELOPE for each, BODY.PEEK[] a non-empty literal; an OK with a short
answer counts under "bad_results". SEARCH hit counts are reported so the
servers' answers can be compared. Prints JSON: per-command count, ops/s,
p50, p99, errors (with the first error line), plus the generator's own CPU
time over the timed part.
"""

import argparse
import asyncio
import json
import random
import re
import resource
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from imap_load import load_corpus  # noqa: E402

# Relative frequency of each command in the mix (bench/README.md). FETCH
# 1:* (UID FLAGS) returns every message: kept rare so that 100,000-message
# runs stay short.
WEIGHTS = {
    "SELECT": 2,
    "FETCH_FLAGS": 1,
    "FETCH_ENV_BS": 10,
    "FETCH_BODY": 10,
    "SEARCH_HEADER": 5,
    "SEARCH_BODY": 5,
    "STORE": 10,
    "COPY": 5,
    "APPEND": 5,
    "EXPUNGE": 3,
}

# Subjects: each of the first three in about 4 % of gen-corpus.py messages.
# Bodies: two words of its non-ASCII snippets ("Emoji test: ...", "Ça va
# très bien, merci"), each in about 6 % of text parts, never in a header (a
# name would also be found in the headers of forwarded message/rfc822
# parts, which Lemonade counts as body text and Dovecot does not).
# "zqxjkvw" occurs nowhere.
HEADER_WORDS = "quarterly,invoice,escalation,zqxjkvw"
BODY_WORDS = "emoji,merci,zqxjkvw"


class Conn:
    """A minimal IMAP client that reads responses in bulk (a Python
    readline per line would bound FETCH 1:* of a big mailbox by the client,
    not the server)."""

    def __init__(self, reader, writer):
        self.r, self.w, self.n = reader, writer, 0
        self.buf, self.pos = bytearray(), 0

    @classmethod
    async def open(cls, port, user, password):
        r, w = await asyncio.open_connection("127.0.0.1", port, limit=1 << 24)
        c = cls(r, w)
        greeting = await c.read_response_line()
        if not greeting.startswith(b"* OK"):
            raise RuntimeError("greeting: %r" % greeting[:200])
        st, _, line = await c.command(b'LOGIN %s "%s"' % (user.encode(), password.encode()))
        if st != b"OK":
            raise RuntimeError("login failed: %r" % line[:200])
        return c

    def close(self):
        self.w.close()

    async def _fill(self):
        data = await self.r.read(1 << 20)
        if not data:
            raise ConnectionError("connection closed by server")
        self.buf += data

    async def read_response_line(self):
        """One response: its line with any literals it carries."""
        start = seg = scan = self.pos  # response, current line segment, CRLF search
        while True:
            end = self.buf.find(b"\r\n", scan)
            if end < 0:
                scan = max(seg, len(self.buf) - 1)
                await self._fill()
                continue
            # A literal "{n}" (or "{n+}") right before the CRLF: skip its octets.
            n = None
            if end > seg and self.buf[end - 1] == ord("}"):
                brace = self.buf.rfind(b"{", seg, end)
                digits = bytes(self.buf[brace + 1:end - 1]).rstrip(b"+") if brace >= 0 else b""
                if digits.isdigit():
                    n = int(digits)
            if n is not None:
                while len(self.buf) < end + 2 + n:
                    await self._fill()
                seg = scan = end + 2 + n
                continue
            resp = bytes(self.buf[start:end + 2])
            self.pos = end + 2
            if self.pos > (1 << 20):
                del self.buf[:self.pos]
                self.pos = 0
            return resp

    async def command(self, text, literals=()):
        """Sends a command (literals as LITERAL+); returns (status, untagged
        responses, tagged line)."""
        self.n += 1
        tag = b"m%d" % self.n
        if not literals:
            self.w.write(tag + b" " + text + b"\r\n")
        else:
            parts = [tag + b" " + text]
            for lit in literals:
                parts.append(b" {%d+}\r\n" % len(lit) + lit)
            self.w.write(b"".join(parts) + b"\r\n")
        await self.w.drain()
        untagged = []
        while True:
            line = await self.read_response_line()
            if line.startswith(tag + b" "):
                return line[len(tag) + 1:].split(b" ", 1)[0], untagged, line
            if line.startswith(b"* BYE") and text != b"LOGOUT":
                raise ConnectionError("BYE: %r" % line[:200])
            untagged.append(line)


def exists_of(untagged, current):
    for line in untagged:
        m = re.match(rb"\* (\d+) EXISTS", line)
        if m:
            current = int(m.group(1))
    return current


async def populate(args):
    corpus = load_corpus(args.corpus, args.corpus_limit)
    c = await Conn.open(args.port, args.user, args.password)
    start = time.perf_counter()
    done = 0
    while done < args.count:
        batch = [corpus[(done + i) % len(corpus)] for i in range(min(200, args.count - done))]
        # RFC 3502: one command, one literal per message; \Seen on two in three.
        c.n += 1
        tag = b"p%d" % c.n
        out = [tag + b" APPEND INBOX"]
        for i, msg in enumerate(batch):
            flags = b" (\\Seen)" if (done + i) % 3 else b""
            out.append(flags + b" {%d+}\r\n" % len(msg) + msg)
        c.w.write(b"".join(out) + b"\r\n")
        await c.w.drain()
        while True:
            line = await c.read_response_line()
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise RuntimeError("populate failed: %r" % line[:200])
                break
        done += len(batch)
    seconds = time.perf_counter() - start
    st, un, line = await c.command(b"SELECT INBOX")
    exists = exists_of(un, -1)
    if st != b"OK" or exists != args.count:
        raise RuntimeError("after populate SELECT INBOX says %d messages (%r), not %d" % (exists, line, args.count))
    await c.command(b"LOGOUT")
    c.close()
    print(json.dumps({"seconds": seconds, "messages": done}))


class Results:
    def __init__(self):
        self.lat = {op: [] for op in WEIGHTS}
        self.errors = {op: 0 for op in WEIGHTS}
        self.error_line = {}
        self.bad_results = {op: 0 for op in WEIGHTS}
        self.hits = {}  # "SUBJECT quarterly" -> set of hit counts seen
        self.reconnects = 0

    def error(self, op, what):
        self.errors[op] += 1
        self.error_line.setdefault(op, what if isinstance(what, str) else what[:200].decode("latin-1").strip())


class Client:
    def __init__(self, args, i, corpus, res):
        self.args, self.corpus, self.res = args, corpus, res
        self.rnd = random.Random(args.seed * 1000 + i)
        self.folder = b"mix-%s-%d" % (args.tag.encode(), i)
        self.a = self.b = None
        self.exists = self.own = 0
        self.end = None

    async def open_a(self):
        self.a = await Conn.open(self.args.port, self.args.user, self.args.password)
        st, un, line = await self.a.command(b"SELECT INBOX")
        if st != b"OK":
            raise RuntimeError("SELECT INBOX: %r" % line[:200])
        self.exists = exists_of(un, 0)

    async def open_b(self):
        self.b = await Conn.open(self.args.port, self.args.user, self.args.password)
        await self.b.command(b"CREATE " + self.folder)  # NO after a reconnect: it exists
        st, un, line = await self.b.command(b"SELECT " + self.folder)
        if st != b"OK":
            raise RuntimeError("SELECT %s: %r" % (self.folder, line[:200]))
        self.own = exists_of(un, 0)

    async def setup(self):
        await self.open_a()
        await self.open_b()

    async def timed(self, op, conn, cmd, literals=()):
        """Runs one command, times it; returns its untagged responses, or
        None if it failed (then counted as an error, not timed)."""
        s = time.perf_counter()
        try:
            st, un, line = await conn.command(cmd, literals)
        except (ConnectionError, asyncio.IncompleteReadError) as e:
            self.res.error(op, "connection lost: %s" % e)
            self.res.reconnects += 1
            conn.close()
            await (self.open_a() if conn is self.a else self.open_b())
            return None
        elapsed = time.perf_counter() - s
        if st != b"OK":
            self.res.error(op, line)
            return None
        self.res.lat[op].append(elapsed)
        return un

    async def step(self, op):
        rnd, res, a, b = self.rnd, self.res, self.a, self.b
        n = rnd.randint(1, max(1, self.exists))
        if op == "SELECT":
            un = await self.timed(op, a, b"SELECT INBOX")
        elif op == "FETCH_FLAGS":
            un = await self.timed(op, a, b"FETCH 1:* (UID FLAGS)")
            # Unsolicited flag updates from the other clients may come too.
            if un is not None and sum(1 for line in un if b"UID " in line) < self.exists:
                res.bad_results[op] += 1
        elif op == "FETCH_ENV_BS":
            lo = rnd.randint(1, max(1, self.exists - 19))
            hi = min(self.exists, lo + 19)
            un = await self.timed(op, a, b"FETCH %d:%d (ENVELOPE BODYSTRUCTURE)" % (lo, hi))
            if un is not None and sum(1 for line in un if b"ENVELOPE" in line and b"BODYSTRUCTURE" in line) \
                    < hi - lo + 1:
                res.bad_results[op] += 1
        elif op == "FETCH_BODY":
            un = await self.timed(op, a, b"FETCH %d BODY.PEEK[]" % n)
            if un is not None and not any(re.search(rb"BODY\[\] \{[1-9]", line) for line in un):
                res.bad_results[op] += 1
        elif op in ("SEARCH_HEADER", "SEARCH_BODY"):
            key, words = (b"SUBJECT", self.args.header_words) if op == "SEARCH_HEADER" \
                else (b"BODY", self.args.body_words)
            word = rnd.choice(words)
            un = await self.timed(op, a, b"SEARCH %s %s" % (key, word))
            if un is not None:
                found = [line.split()[2:] for line in un if line.startswith(b"* SEARCH")]
                name = "%s %s" % (key.decode(), word.decode())
                if len(found) != 1:
                    res.bad_results[op] += 1
                else:
                    res.hits.setdefault(name, set()).add(len(found[0]))
        elif op == "STORE":
            un = await self.timed(op, a, b"STORE %d %sFLAGS (\\Flagged)" % (n, rnd.choice([b"+", b"-"])))
        elif op == "COPY":
            un = await self.timed(op, a, b"COPY %d %s" % (n, self.folder))
        elif op == "APPEND":
            msg = self.corpus[rnd.randrange(len(self.corpus))]
            un = await self.timed(op, b, b"APPEND " + self.folder, [msg])
        else:  # EXPUNGE in the client's own folder
            try:
                st, un, _ = await b.command(b"NOOP")
                self.own = exists_of(un, self.own)
                if self.own == 0:
                    # Nothing to expunge yet (always so when EXPUNGE runs
                    # alone): put one message there, untimed.
                    await b.command(b"APPEND " + self.folder, [self.corpus[rnd.randrange(len(self.corpus))]])
                    st, un, _ = await b.command(b"NOOP")
                    self.own = exists_of(un, self.own)
                await b.command(b"STORE 1 +FLAGS.SILENT (\\Deleted)")
            except (ConnectionError, asyncio.IncompleteReadError) as e:
                res.error(op, "connection lost: %s" % e)
                res.reconnects += 1
                b.close()
                await self.open_b()
                return
            un = await self.timed(op, b, b"EXPUNGE")
            if un is not None:
                self.own = exists_of(un, self.own) - sum(1 for line in un if line.endswith(b" EXPUNGE\r\n"))
            return
        if un is not None and op != "APPEND":
            self.exists = exists_of(un, self.exists)

    async def run(self, deadline):
        names = [self.args.only] if self.args.only else list(WEIGHTS)
        weights = [WEIGHTS[n] for n in names]
        done = 0
        while time.perf_counter() < deadline and (not self.args.count_per_client or done < self.args.count_per_client):
            done += 1
            await self.step(self.rnd.choices(names, weights)[0])
        self.end = time.perf_counter()

    async def logout(self):
        for c in (self.a, self.b):
            try:
                await c.command(b"LOGOUT")
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            c.close()


def pct(lat, q):
    return 1000 * lat[min(len(lat) - 1, int(len(lat) * q))] if lat else None


def summarize(res, wall):
    out = {}
    for op, lat in res.lat.items():
        lat = sorted(lat)
        out[op] = {"count": len(lat), "errors": res.errors[op], "error_line": res.error_line.get(op),
                   "bad_results": res.bad_results[op], "ops_per_s": len(lat) / wall,
                   "p50_ms": pct(lat, 0.5), "p99_ms": pct(lat, 0.99)}
    return out


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def mixed(args):
    corpus = load_corpus(args.corpus, args.corpus_limit)
    res = Results()
    clients = [Client(args, i, corpus, res) for i in range(args.clients)]
    # Log every connection in first: the argon2id logins are not the workload.
    await asyncio.gather(*[c.setup() for c in clients])
    cpu0 = cpu_seconds()
    start = time.perf_counter()
    await asyncio.gather(*[c.run(start + args.seconds) for c in clients])
    wall = max(c.end for c in clients) - start
    cpu = cpu_seconds() - cpu0
    await asyncio.gather(*[c.logout() for c in clients])
    print(json.dumps({"wall_s": wall, "total_ops_per_s": sum(len(v) for v in res.lat.values()) / wall,
                      "generator_cpu_s": cpu, "reconnects": res.reconnects,
                      "search_hits": {k: sorted(v) for k, v in res.hits.items()},
                      "commands": summarize(res, wall)}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["populate", "mixed"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--user", default="mixed")
    ap.add_argument("--password", default="bench-pass")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--corpus-limit", type=int, default=2000)
    ap.add_argument("--count", type=int, default=1000, help="messages to populate")
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=60, help="stop after this long")
    ap.add_argument("--count-per-client", type=int, default=0, help="or stop after this many commands per client")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tag", default="r0", help="makes folder names unique per run")
    ap.add_argument("--only", choices=list(WEIGHTS), help="run just this command (latency alone)")
    ap.add_argument("--header-words", default=HEADER_WORDS)
    ap.add_argument("--body-words", default=BODY_WORDS)
    args = ap.parse_args()
    args.header_words = [w.encode() for w in args.header_words.split(",")]
    args.body_words = [w.encode() for w in args.body_words.split(",")]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(populate(args) if args.mode == "populate" else mixed(args))


if __name__ == "__main__":
    main()
