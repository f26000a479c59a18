#!/usr/bin/env python3
"""Load generator for the idle-memory benchmark (issue 12): many
accounts, one connection each, idling; bench/run/idle_memory.py runs it
against Lemonade and Dovecot and measures the servers.

  populate  for each of N users: LOGIN, APPEND 3 messages from an mbox
            corpus to INBOX, LOGOUT. Prints one line of JSON.
  idle      one connection per user (plain, or implicit TLS with --tls):
            LOGIN, with --compress COMPRESS DEFLATE (RFC 4978; both
            directions raw DEFLATE from then on, a sync flush per command),
            SELECT INBOX (must report 3 EXISTS), IDLE (must get "+ "). Then prints "READY {json}" and obeys stdin:
              wake   K samples, each for another user: a second
                     connection logs in as that user and APPENDs a
                     message to INBOX; timed from sending the APPEND to
                     the user's idling connection reading "* n EXISTS".
                     The message is expunged again afterwards. Prints
                     "WAKE {json}".
              close  DONE and LOGOUT on every connection, then close.
                     Prints "CLOSED {json}" and exits.

Python 3 stdlib, asyncio, one process for all connections. Every LOGIN,
SELECT, APPEND, DONE and LOGOUT must get a tagged OK; failures are
counted by step, with the first answer of each kind, never fatal.
"""

import argparse
import asyncio
import json
import os
import re
import resource
import ssl
import sys
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from imap_load import load_corpus  # noqa: E402

EXISTS = re.compile(rb"^\* (\d+) EXISTS\r?\n$")
EXPUNGE = re.compile(rb"^\* \d+ EXPUNGE\r?\n$")
APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]")
STEP_TIMEOUT = 120


def log(*a):
    print("idle_memory:", *a, file=sys.stderr, flush=True)


class Failure(Exception):
    def __init__(self, step, line):
        super().__init__("%s: %r" % (step, line[:200] if isinstance(line, bytes) else line))
        self.step, self.line = step, line


class Errors:
    def __init__(self):
        self.counts, self.first = {}, {}

    def add(self, step, what):
        self.counts[step] = self.counts.get(step, 0) + 1
        self.first.setdefault(step, str(what)[:300])

    def total(self):
        return sum(self.counts.values())

    def json(self):
        return {"count": self.total(), "by_step": self.counts, "first": self.first}


def describe(e):
    if isinstance(e, Failure):
        return e.step, e.line
    if isinstance(e, asyncio.TimeoutError):
        return "timeout", "no answer within %d s" % STEP_TIMEOUT
    return "connection", "%s: %s" % (type(e).__name__, e)


class Conn:
    """One IMAP connection. Before IDLE the caller reads the answers
    (command()); once idling a reader task owns the stream."""

    def __init__(self, reader, writer, greeting):
        self.r, self.w, self.n = reader, writer, 0
        self.literal_plus = b"LITERAL+" in greeting
        self.exists = None
        self.waiter, self.waiter_n = None, 0
        self.pending = {}
        self.task = None
        self.dropped = False

    @classmethod
    async def open(cls, port, tls):
        r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, ssl=tls, limit=1 << 20),
                                      STEP_TIMEOUT)
        greeting = await asyncio.wait_for(r.readline(), STEP_TIMEOUT)
        if not greeting.startswith(b"* OK"):
            w.close()
            raise Failure("greeting", greeting)
        return cls(r, w, greeting)

    def next_tag(self):
        self.n += 1
        return b"a%d" % self.n

    async def command(self, step, text, literal=None):
        """Sends a command, returns (untagged lines, tagged line); raises
        Failure unless the tagged answer is OK."""
        tag = self.next_tag()
        if literal is None:
            self.w.write(tag + b" " + text + b"\r\n")
        elif self.literal_plus:
            self.w.write(tag + b" " + text + b" {%d+}\r\n" % len(literal) + literal + b"\r\n")
        else:
            self.w.write(tag + b" " + text + b" {%d}\r\n" % len(literal))
            await self.w.drain()
            line = await asyncio.wait_for(self.r.readline(), STEP_TIMEOUT)
            if not line.startswith(b"+"):
                raise Failure(step, line)
            self.w.write(literal + b"\r\n")
        await self.w.drain()
        untagged = []
        while True:
            line = await asyncio.wait_for(self.r.readline(), STEP_TIMEOUT)
            if not line:
                raise Failure(step, "connection closed")
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise Failure(step, line)
                if b"LITERAL+" in line:
                    self.literal_plus = True
                return untagged, line
            if line.startswith(b"* CAPABILITY") and b"LITERAL+" in line:
                self.literal_plus = True
            untagged.append(line)

    async def login(self, user, password):
        await self.command("LOGIN", b'LOGIN %s "%s"' % (user.encode(), password.encode()))

    async def compress(self):
        """COMPRESS DEFLATE; the reader and writer deflate from then on."""
        await self.command("COMPRESS", b"COMPRESS DEFLATE")
        self.r, self.w = Inflating(self.r), Deflating(self.w)

    async def select_and_idle(self, expect):
        untagged, _ = await self.command("SELECT", b"SELECT INBOX")
        counts = [int(m.group(1)) for m in map(EXISTS.match, untagged) if m]
        if counts != [expect]:
            raise Failure("SELECT EXISTS", "expected %d, got %s" % (expect, counts or "none"))
        self.exists = expect
        self.idle_tag = self.next_tag()
        self.w.write(self.idle_tag + b" IDLE\r\n")
        await self.w.drain()
        while True:
            line = await asyncio.wait_for(self.r.readline(), STEP_TIMEOUT)
            if line.startswith(b"+ ") or line.rstrip(b"\r\n") == b"+":
                break
            if not line or not line.startswith(b"* "):
                raise Failure("IDLE", line or "connection closed")
        self.task = asyncio.create_task(self.idle_reader())

    async def idle_reader(self):
        try:
            while True:
                line = await self.r.readline()
                if not line:
                    break
                m = EXISTS.match(line)
                if m:
                    self.exists = int(m.group(1))
                    if self.waiter and not self.waiter.done() and self.exists >= self.waiter_n:
                        self.waiter.set_result(time.perf_counter())
                elif EXPUNGE.match(line):
                    self.exists -= 1
                elif line[:1] != b"*":
                    tag = line.split(b" ", 1)[0]
                    fut = self.pending.pop(tag, None)
                    if fut and not fut.done():
                        fut.set_result(line)
        except (OSError, ssl.SSLError, ValueError, asyncio.LimitOverrunError):
            pass
        self.dropped = True
        for fut in self.pending.values():
            if not fut.done():
                fut.set_result(b"")

    async def expect_tagged(self, step, tag, send):
        fut = asyncio.get_running_loop().create_future()
        self.pending[tag] = fut
        self.w.write(send)
        await self.w.drain()
        line = await asyncio.wait_for(fut, STEP_TIMEOUT)
        if not line.startswith(tag + b" OK"):
            raise Failure(step, line or "connection closed")

    async def finish(self):
        """DONE, LOGOUT, close (an idling connection)."""
        if self.dropped:
            raise Failure("dropped while idling", "connection closed by the server")
        await self.expect_tagged("DONE", self.idle_tag, b"DONE\r\n")
        tag = self.next_tag()
        await self.expect_tagged("LOGOUT", tag, tag + b" LOGOUT\r\n")
        await self.close()

    async def close(self):
        try:
            self.w.close()
            await asyncio.wait_for(self.w.wait_closed(), 10)
        except (OSError, ssl.SSLError, asyncio.TimeoutError):
            pass


class Inflating:
    """A StreamReader's readline over raw DEFLATE input."""

    def __init__(self, r):
        self.r, self.z, self.buf = r, zlib.decompressobj(-15), b""

    async def readline(self):
        while b"\n" not in self.buf:
            data = await self.r.read(65536)
            if not data:
                line, self.buf = self.buf, b""
                return line
            self.buf += self.z.decompress(data)
        line, _, self.buf = self.buf.partition(b"\n")
        return line + b"\n"


class Deflating:
    """A StreamWriter that deflates each write and sync-flushes it."""

    def __init__(self, w):
        self.w, self.z = w, zlib.compressobj(6, zlib.DEFLATED, -15)

    def write(self, data):
        self.w.write(self.z.compress(data) + self.z.flush(zlib.Z_SYNC_FLUSH))

    async def drain(self):
        await self.w.drain()

    def close(self):
        self.w.close()

    async def wait_closed(self):
        await self.w.wait_closed()


def tls_context(enabled):
    if not enabled:
        return None
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # both servers' certificates are self-signed
    return ctx


def user_name(args, i):
    return "%s%04d" % (args.prefix, i)


async def run_populate(args):
    corpus = load_corpus(args.corpus, 3 * args.users)
    errors = Errors()
    sem = asyncio.Semaphore(args.concurrency)
    done = [0]

    async def one(i):
        async with sem:
            c = None
            try:
                c = await Conn.open(args.port, None)
                await c.login(user_name(args, i), args.password)
                for k in range(args.per_user):
                    await c.command("APPEND", b"APPEND INBOX", corpus[(args.per_user * i + k) % len(corpus)])
                await c.command("LOGOUT", b"LOGOUT")
            except (Failure, OSError, asyncio.TimeoutError) as e:
                errors.add(*describe(e))
            finally:
                if c:
                    await c.close()
            done[0] += 1
            if done[0] % 200 == 0:
                log("populated %d/%d users" % (done[0], args.users))

    start = time.perf_counter()
    await asyncio.gather(*[one(i) for i in range(args.users)])
    print(json.dumps({"seconds": time.perf_counter() - start, "errors": errors.json()}), flush=True)


async def stdin_lines():
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            return
        yield line.strip()


async def wake_sample(args, tls, conns, i):
    """One APPEND by another connection of user i, timed to the EXISTS
    on user i's idling connection; returns (wake ms, APPEND OK ms)."""
    target = conns[i]
    a = await Conn.open(args.tls_port if tls else args.port, tls)
    try:
        await a.login(user_name(args, i), args.password)
        msg = (b"From: wake@bench.example\r\nTo: %s@bench.example\r\nSubject: wake %d\r\n"
               b"Message-ID: <wake-%d-%f@bench.example>\r\n\r\nwake up\r\n" % (
                   user_name(args, i).encode(), i, i, time.time()))
        target.waiter = asyncio.get_running_loop().create_future()
        target.waiter_n = args.per_user + 1
        start = time.perf_counter()
        _, ok = await a.command("wake APPEND", b"APPEND INBOX", msg)
        appended = time.perf_counter()
        try:
            woke = await asyncio.wait_for(target.waiter, args.wake_timeout)
        except asyncio.TimeoutError:
            raise Failure("wake: no EXISTS", "no EXISTS within %g s" % args.wake_timeout)
        finally:
            target.waiter = None
        # Put the INBOX back to 3 messages for the next run.
        m = APPENDUID.search(ok)
        await a.command("wake SELECT", b"SELECT INBOX")
        if m:
            await a.command("wake STORE", b"UID STORE %s +FLAGS.SILENT (\\Deleted)" % m.group(1))
            await a.command("wake EXPUNGE", b"UID EXPUNGE %s" % m.group(1))
        else:
            await a.command("wake STORE", b"STORE %d +FLAGS.SILENT (\\Deleted)" % (args.per_user + 1))
            await a.command("wake EXPUNGE", b"EXPUNGE")
        await a.command("wake LOGOUT", b"LOGOUT")
        return 1000 * (woke - start), 1000 * (appended - start)
    finally:
        await a.close()


async def run_idle(args):
    tls = tls_context(args.tls)
    port = args.tls_port if args.tls else args.port
    conns = {}
    errors = Errors()
    sem = asyncio.Semaphore(args.concurrency)
    done = [0]

    async def one(i):
        async with sem:
            c = None
            try:
                c = await Conn.open(port, tls)
                await c.login(user_name(args, i), args.password)
                if args.compress:
                    await c.compress()
                await c.select_and_idle(args.per_user)
                conns[i] = c
            except (Failure, OSError, asyncio.TimeoutError) as e:
                errors.add(*describe(e))
                if c:
                    await c.close()
            done[0] += 1
            if done[0] % 200 == 0:
                log("%d/%d connections set up" % (done[0], args.users))

    start = time.perf_counter()
    await asyncio.gather(*[one(i) for i in range(args.users)])
    setup = time.perf_counter() - start
    print("READY " + json.dumps({"idling": len(conns), "seconds": setup, "errors": errors.json()}), flush=True)

    async for cmd in stdin_lines():
        if cmd == "wake":
            werr = Errors()
            samples = []
            live = sorted(conns)
            picks = sorted({live[(k * len(live)) // args.samples] for k in range(args.samples)}) if live else []
            for i in picks:
                try:
                    samples.append(await wake_sample(args, tls, conns, i))
                except (Failure, OSError, asyncio.TimeoutError) as e:
                    werr.add(*describe(e))
                await asyncio.sleep(0.2)
            print("WAKE " + json.dumps({"wake_ms": [s[0] for s in samples], "append_ms": [s[1] for s in samples],
                                        "errors": werr.json()}), flush=True)
        elif cmd == "close":
            break
    cerr = Errors()
    dropped = sum(1 for c in conns.values() if c.dropped)
    csem = asyncio.Semaphore(args.concurrency * 4)

    async def finish(c):
        async with csem:
            try:
                await c.finish()
            except (Failure, OSError, asyncio.TimeoutError) as e:
                cerr.add(*describe(e))
                await c.close()

    start = time.perf_counter()
    await asyncio.gather(*[finish(c) for c in conns.values()])
    print("CLOSED " + json.dumps({"seconds": time.perf_counter() - start, "dropped_while_idle": dropped,
                                  "errors": cerr.json()}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["populate", "idle"])
    ap.add_argument("--port", type=int, required=True, help="plain IMAP port")
    ap.add_argument("--tls-port", type=int, help="implicit-TLS port")
    ap.add_argument("--tls", action="store_true", help="idle over the implicit-TLS port")
    ap.add_argument("--compress", action="store_true", help="COMPRESS DEFLATE after LOGIN (idle)")
    ap.add_argument("--password", default="bench-pass")
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--prefix", default="idle", help="user names are PREFIX0000, PREFIX0001, ...")
    ap.add_argument("--per-user", type=int, default=3, help="messages in each INBOX")
    ap.add_argument("--corpus", help="mbox (populate)")
    ap.add_argument("--concurrency", type=int, default=16, help="connections being set up at once")
    ap.add_argument("--samples", type=int, default=20, help="wake samples, each a different user")
    ap.add_argument("--wake-timeout", type=float, default=60)
    args = ap.parse_args()
    if args.tls and not args.tls_port:
        ap.error("--tls needs --tls-port")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(run_populate(args) if args.mode == "populate" else run_idle(args))


if __name__ == "__main__":
    main()
