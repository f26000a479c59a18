#!/usr/bin/env python3
"""Mixed IMAP workload for bench/run/mixed.py: the same commands against
any IMAP server on loopback.

  populate  fills INBOX of one user with N messages from an mbox corpus,
            200 per MULTIAPPEND command (RFC 3502) with LITERAL+, and prints
            the seconds it took.
  mixed     C clients log in as that user, each with two connections: A has
            INBOX selected, B its own folder mix-<run>-<i>. For a fixed time
            each client draws commands by weight (WEIGHTS below) and times
            each one from sending the command to its tagged response:
              SELECT         A: SELECT INBOX again
              FETCH_FLAGS    A: FETCH 1:* (UID FLAGS)
              FETCH_ENV_BS   A: FETCH n:n+19 (ENVELOPE BODYSTRUCTURE)
              FETCH_BODY     A: FETCH n BODY.PEEK[]
              SEARCH_HEADER  A: SEARCH SUBJECT <word>
              SEARCH_BODY    A: SEARCH BODY <word>
              STORE          A: STORE n +FLAGS/-FLAGS (\\Flagged)
              COPY           A: COPY n mix-<run>-<i>
              APPEND         B: APPEND mix-<run>-<i> (a corpus message)
              EXPUNGE        B: STORE 1 +FLAGS.SILENT (\\Deleted) (not timed),
                                then EXPUNGE (timed)
            With --only OP and --count-per-client K, one command alone:
            its latency without the others competing.
            INBOX keeps its size: only the client's own folder grows and
            shrinks. Prints JSON with per-command count, ops/s, p50, p99 and
            errors (tagged NO/BAD), and the generator's own CPU time.
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
        await c.read_response_line()  # greeting
        st, _ = await c.command(b'LOGIN %s "%s"' % (user.encode(), password.encode()))
        if st != b"OK":
            raise RuntimeError("login failed")
        return c

    async def _fill(self):
        data = await self.r.read(1 << 20)
        if not data:
            raise RuntimeError("connection closed")
        self.buf += data

    async def read_response_line(self):
        """One response: its line with any literals it carries."""
        start = scan = self.pos
        while True:
            end = self.buf.find(b"\r\n", scan)
            if end < 0:
                await self._fill()
                continue
            # A literal "{n}" (or "{n+}") right before the CRLF: skip its octets.
            n = None
            if end > scan and self.buf[end - 1] == ord("}"):
                brace = self.buf.rfind(b"{", scan, end)
                digits = bytes(self.buf[brace + 1:end - 1]).rstrip(b"+") if brace >= 0 else b""
                if digits.isdigit():
                    n = int(digits)
            if n is not None:
                while len(self.buf) < end + 2 + n:
                    await self._fill()
                scan = end + 2 + n
                continue
            resp = bytes(self.buf[start:end + 2])
            self.pos = end + 2
            if self.pos > (1 << 20):
                del self.buf[:self.pos]
                self.pos = 0
            return resp

    async def command(self, text, literals=()):
        """Sends a command (literals as LITERAL+) and returns (status, untagged)."""
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
                return line.split(b" ", 2)[1], untagged
            untagged.append(line)


async def populate(args):
    corpus = load_corpus(args.corpus, args.corpus_limit)
    c = await Conn.open(args.port, args.user, args.password)
    start = time.perf_counter()
    done = 0
    while done < args.count:
        batch = [corpus[(done + i) % len(corpus)] for i in range(min(200, args.count - done))]
        # RFC 3502: one command, one literal per message; \Seen on some.
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
    print(json.dumps({"seconds": time.perf_counter() - start, "messages": done}))


def exists_of(untagged, current):
    for line in untagged:
        m = re.match(rb"\* (\d+) EXISTS", line)
        if m:
            current = int(m.group(1))
    return current


async def client(args, i, corpus, stats, errors, deadline):
    rnd = random.Random(args.seed * 1000 + i)
    folder = b"mix-%s-%d" % (args.tag.encode(), i)
    a = await Conn.open(args.port, args.user, args.password)
    b = await Conn.open(args.port, args.user, args.password)
    await b.command(b"CREATE " + folder)
    st, un = await a.command(b"SELECT INBOX")
    exists = exists_of(un, 0)
    await b.command(b"SELECT " + folder)
    own = 0
    names = [args.only] if args.only else list(WEIGHTS)
    weights = [WEIGHTS[n] for n in names]
    t = time.perf_counter
    done = 0
    while t() < deadline and (not args.count_per_client or done < args.count_per_client):
        done += 1
        op = rnd.choices(names, weights)[0]
        n = rnd.randint(1, max(1, exists))
        if op == "SELECT":
            cmd, conn = b"SELECT INBOX", a
        elif op == "FETCH_FLAGS":
            cmd, conn = b"FETCH 1:* (UID FLAGS)", a
        elif op == "FETCH_ENV_BS":
            lo = rnd.randint(1, max(1, exists - 19))
            cmd, conn = b"FETCH %d:%d (ENVELOPE BODYSTRUCTURE)" % (lo, min(exists, lo + 19)), a
        elif op == "FETCH_BODY":
            cmd, conn = b"FETCH %d BODY.PEEK[]" % n, a
        elif op == "SEARCH_HEADER":
            cmd, conn = b"SEARCH SUBJECT " + rnd.choice(args.header_words), a
        elif op == "SEARCH_BODY":
            cmd, conn = b"SEARCH BODY " + rnd.choice(args.body_words), a
        elif op == "STORE":
            cmd, conn = b"STORE %d %sFLAGS (\\Flagged)" % (n, rnd.choice([b"+", b"-"])), a
        elif op == "COPY":
            cmd, conn = b"COPY %d %s" % (n, folder), a
        elif op == "APPEND":
            msg = corpus[rnd.randrange(len(corpus))]
            s = t()
            st, un = await b.command(b"APPEND " + folder, [msg])
            stats[op].append(t() - s)
            if st != b"OK":
                errors[op] = errors.get(op, 0) + 1
            continue
        else:  # EXPUNGE in the client's own folder
            st, un = await b.command(b"NOOP")
            own = exists_of(un, own)
            if own == 0:
                # Nothing to expunge yet (always so when EXPUNGE runs
                # alone): put one message there, untimed.
                st, un = await b.command(b"APPEND " + folder, [corpus[rnd.randrange(len(corpus))]])
                st, un = await b.command(b"NOOP")
                own = exists_of(un, own)
            await b.command(b"STORE 1 +FLAGS.SILENT (\\Deleted)")
            cmd, conn = b"EXPUNGE", b
        s = t()
        st, un = await conn.command(cmd)
        stats[op].append(t() - s)
        if st != b"OK":
            errors[op] = errors.get(op, 0) + 1
        if conn is a:
            exists = exists_of(un, exists)
        else:
            own = exists_of(un, own) - sum(1 for line in un if line.endswith(b" EXPUNGE\r\n"))
    await a.command(b"LOGOUT")
    await b.command(b"LOGOUT")


def summarize(stats, errors, wall):
    out = {}
    for op, lat in stats.items():
        lat = sorted(lat)
        out[op] = {"count": len(lat), "errors": errors.get(op, 0), "ops_per_s": len(lat) / wall,
                   "p50_ms": 1000 * lat[len(lat) // 2] if lat else None,
                   "p99_ms": 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))] if lat else None}
    return out


async def mixed(args):
    corpus = load_corpus(args.corpus, args.corpus_limit)
    stats = {op: [] for op in WEIGHTS}
    errors = {}
    start = time.perf_counter()
    deadline = start + args.seconds
    await asyncio.gather(*[client(args, i, corpus, stats, errors, deadline) for i in range(args.clients)])
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"wall_s": wall, "total_ops_per_s": sum(len(v) for v in stats.values()) / wall,
                      "generator_cpu_s": usage.ru_utime + usage.ru_stime,
                      "commands": summarize(stats, errors, wall)}))


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
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tag", default="r0")
    ap.add_argument("--only", choices=list(WEIGHTS), help="run just this command (latency alone)")
    ap.add_argument("--count-per-client", type=int, default=0, help="stop after this many commands")
    ap.add_argument("--header-words", default="quarterly,invoice,escalation,zqxjkvw")
    ap.add_argument("--body-words", default="latency,offline,zqxjkvw")
    args = ap.parse_args()
    args.header_words = [w.encode() for w in args.header_words.split(",")]
    args.body_words = [w.encode() for w in args.body_words.split(",")]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(populate(args) if args.mode == "populate" else mixed(args))


if __name__ == "__main__":
    main()
