#!/usr/bin/env python3
"""Many-account throughput workload (issue 12 §2) for bench/run/population.py:
the same random mix of commands, drawn from one seed, against any IMAP
server on loopback. One process, asyncio, every client in it.

  populate  fills each account named by --users: CREATE Archive, Sent,
            Drafts, Trash; M messages into INBOX (MULTIAPPEND of 200 with
            LITERAL+, two in three \\Seen), 20 into Archive and 10 into Sent
            (\\Seen); then SELECT INBOX must report M. Prints the seconds.
  run       C clients over the first A accounts, --variant:
              open   client i holds K connections to account i % A, each
                     logged in and with INBOX selected before the clock
                     starts; then draws commands for --seconds.
              login  cycles until --seconds are up: connect, LOGIN, SELECT
                     INBOX, 3 to 5 drawn commands, LOGOUT; client i's cycle
                     j uses account (i + j*C) % A, so with C < A every
                     account is logged into.
            Commands are drawn by weight (WEIGHTS below) from
            random.Random(seed, client): each draw takes the same numbers
            from the generator whatever the server answered, so the same
            seed gives both servers the same sequence of draws (short digests
            of each client's first DIGEST_DRAWS draws are printed, to
            compare); what
            a draw turns into (a sequence number, a UID) depends on the
            mailbox as the connection sees it.

Every response is read whole, literals included (mixed_load.Conn). A tagged
OK counts as a command; a NO, a BAD, a dropped connection or no answer
within CMD_TIMEOUT counts as an error of its kind, and the distinct error
lines are kept (with the command that got them). The client tracks EXISTS,
EXPUNGE and FLAGS on every connection, from its own commands and from other
sessions' changes (counted: "untagged"), and counts protocol violations
it can check cheaply:
  fetch_keyword   a FETCH FLAGS with a keyword that the last untagged FLAGS
                  on that connection did not list (RFC 3501 §7.2.6)
  fetch_seq       a FETCH with a sequence number above the current EXISTS
  expunge_seq     an EXPUNGE with a sequence number above the current EXISTS
  exists_shrank   an EXISTS smaller than the current one (RFC 3501 §7.3.1:
                  only EXPUNGE may shrink the mailbox)
Prints JSON.
"""

import argparse
import asyncio
import hashlib
import json
import os
import random
import re
import resource
import sys
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "run"))
from servers import cpu_seconds as server_cpu_seconds  # noqa: E402
from imap_load import load_corpus  # noqa: E402
from mixed_load import Conn, cpu_seconds  # noqa: E402

# Relative frequency of each draw (bench/README.md): what a population of
# phone and desktop clients mostly does is read (a page of the message list,
# a message body), mark read or flagged, and poll (NOOP, STATUS of other
# folders); less often re-select, resync all flags, tag with a keyword,
# save a message and delete one, list folders.
WEIGHTS = {
    "NOOP": 8,
    "SELECT": 4,
    "FETCH_FLAGS": 3,
    "FETCH_ENV": 12,
    "FETCH_BODY": 12,
    "STORE_FLAG": 14,
    "STORE_KEYWORD": 4,
    "APPEND": 5,
    "EXPUNGE": 5,
    "STATUS": 8,
    "LIST": 2,
}
NAMES = list(WEIGHTS)
WEIGHT_LIST = [WEIGHTS[n] for n in NAMES]
# Latency rows: the draws plus a cycle's own commands; GREETING (connect to
# greeting) is timed but is no command.
KINDS = ["GREETING", "LOGIN"] + NAMES + ["LOGOUT"]
FOLDERS = [b"Archive", b"Sent", b"Drafts", b"Trash"]
CMD_TIMEOUT = 120
DIGEST_DRAWS = 10


# --- FETCH response items -------------------------------------------------

_LIST_SPECIAL = re.compile(rb'[()"{]')
_QUOTED = re.compile(rb'"(?:[^"\\]|\\.)*"')
_LITERAL = re.compile(rb"\{(\d+)\+?\}\r\n")
_ATOM_END = re.compile(rb"[ )\r]")


def _skip_quoted(b, i):
    m = _QUOTED.match(b, i)
    return m.end() if m else len(b)


def _skip_literal(b, i):
    m = _LITERAL.match(b, i)
    return m.end() + int(m.group(1)) if m else i + 1


def _skip_value(b, i):
    if i >= len(b):
        return i
    c = b[i]
    if c == 0x28:  # a parenthesized list, nested, with strings and literals
        depth = 0
        while True:
            m = _LIST_SPECIAL.search(b, i)
            if not m:
                return len(b)
            i = m.start()
            ch = b[i]
            if ch == 0x28:
                depth += 1
                i += 1
            elif ch == 0x29:
                depth -= 1
                i += 1
                if depth == 0:
                    return i
            elif ch == 0x22:
                i = _skip_quoted(b, i)
            else:
                i = _skip_literal(b, i)
    if c == 0x22:
        return _skip_quoted(b, i)
    if c == 0x7B:
        return _skip_literal(b, i)
    m = _ATOM_END.search(b, i)
    return m.start() if m else len(b)


# The commonest FETCH response, "UID n FLAGS (...)" first (in either
# order): read with one regex instead of walking the items.
_UID_FLAGS = re.compile(rb"\* \d+ FETCH \((?:UID (\d+) FLAGS (\([^()]*\))|FLAGS (\([^()]*\)) UID (\d+))[ )]")


def fetch_items(line, wanted=(b"UID", b"FLAGS")):
    """The values of the wanted items of one '* n FETCH (...)' response
    (literals inline, as Conn returns them), whatever order the server put
    them in and whatever ENVELOPE or BODY[] text lies between."""
    if wanted == (b"UID", b"FLAGS"):
        m = _UID_FLAGS.match(line)
        if m:
            if m.group(1) is not None:
                return {b"UID": m.group(1), b"FLAGS": m.group(2)}
            return {b"UID": m.group(4), b"FLAGS": m.group(3)}
    out = {}
    i = line.find(b"(")
    if i < 0:
        return out
    i += 1
    n = len(line)
    while i < n:
        while i < n and line[i] == 0x20:
            i += 1
        if i >= n or line[i] in (0x29, 0x0D):
            break
        j = i
        while j < n and line[j] not in (0x20, 0x5B, 0x29):
            j += 1
        if j < n and line[j] == 0x5B:  # BODY[section]<origin>
            j = line.find(b"]", j) + 1 or n
            if j < n and line[j] == 0x3C:
                j = line.find(b">", j) + 1 or n
        name = bytes(line[i:j]).upper()
        i = j + 1
        start = i
        i = _skip_value(line, i)
        if name in wanted:
            out[name] = line[start:i]
            if len(out) == len(wanted):
                break  # the rest (ENVELOPE, BODYSTRUCTURE, bodies) need not be walked
    return out


# --- state and results ----------------------------------------------------

class Lost(Exception):
    """The connection is gone (closed, reset, BYE or no answer in time)."""


class Uids:
    """UIDs a client population knows of in one account's INBOX (from
    FETCH ... UID and APPENDUID); a UID another client expunged since stays
    until noticed, as in a real client's cache (UID STORE of it is OK)."""

    def __init__(self):
        self.list, self.set = [], set()

    def add(self, uid):
        if uid not in self.set:
            self.set.add(uid)
            self.list.append(uid)

    def discard(self, uid):
        if uid in self.set:
            self.set.discard(uid)
            self.list.remove(uid)

    def pick(self, u):
        return self.list[int(u * len(self.list))] if self.list else None


class Stats:
    def __init__(self):
        self.lat = {k: [] for k in KINDS}
        self.cmds = {k: 0 for k in KINDS}
        self.errors = {k: 0 for k in KINDS}
        self.error_lines = {}  # (kind, normalized text) -> [count, command, line]
        self.violations = {}
        self.violation_examples = {}
        self.reconnects = 0
        self.cycles = 0
        self.untagged = {"EXISTS": 0, "EXPUNGE": 0, "FETCH": 0, "FLAGS": 0}

    def error(self, kind, cmd, text):
        if isinstance(text, bytes):
            text = text.decode("latin-1").strip()
            text = text.split(" ", 1)[1] if " " in text else text  # the tag
        self.errors[kind] += 1
        key = (kind, re.sub(r"\d+(\.\d+)?", "#", text))
        e = self.error_lines.get(key)
        if e:
            e[0] += 1
        else:
            self.error_lines[key] = [1, show_cmd(cmd), text[:300]]

    def violation(self, what, cmd, line, note):
        self.violations[what] = self.violations.get(what, 0) + 1
        ex = self.violation_examples.setdefault(what, [])
        if len(ex) < 3:
            ex.append("%s -> %s (%s)" % (show_cmd(cmd), line[:240].decode("latin-1").strip(), note))


def show_cmd(cmd):
    text = cmd.decode("latin-1") if isinstance(cmd, bytes) else cmd
    if text.upper().startswith("LOGIN "):
        return " ".join(text.split(" ")[:2]) + " ***"
    return text[:120]


_NUMBERED = re.compile(rb"\* (\d+) (EXISTS|EXPUNGE|FETCH)\b", re.I)
_APPENDUID = re.compile(rb"\[APPENDUID \d+ (\d+)\]", re.I)


class Session:
    """One connection with its view of the selected mailbox: EXISTS and
    the keywords the last untagged FLAGS listed."""

    def __init__(self, conn, acct):
        self.c, self.acct = conn, acct
        self.exists = 0
        self.keywords = None  # no FLAGS seen yet

    def absorb(self, untagged, st, cmd, uids):
        for line in untagged:
            m = _NUMBERED.match(line)
            if m:
                n, what = int(m.group(1)), m.group(2).upper()
                st.untagged[what.decode()] += 1
                if what == b"EXISTS":
                    if n < self.exists:
                        st.violation("exists_shrank", cmd, line, "EXISTS was %d" % self.exists)
                    self.exists = n
                elif what == b"EXPUNGE":
                    if n < 1 or n > self.exists:
                        st.violation("expunge_seq", cmd, line, "EXISTS %d" % self.exists)
                    self.exists = max(0, self.exists - 1)
                else:
                    if n < 1 or n > self.exists:
                        st.violation("fetch_seq", cmd, line, "EXISTS %d" % self.exists)
                    items = fetch_items(line)
                    uid = items.get(b"UID")
                    if uid is not None and uid.isdigit():
                        uids.add(int(uid))
                    flags = items.get(b"FLAGS")
                    if flags is not None:
                        unknown = [f for f in flags.strip(b"()").split()
                                   if not f.startswith(b"\\")
                                   and (self.keywords is None or f.lower() not in self.keywords)]
                        if unknown:
                            st.violation("fetch_keyword", cmd, line, "%s not in the last FLAGS%s" % (
                                b" ".join(unknown).decode("latin-1"),
                                "" if self.keywords is not None else " (none received)"))
            elif line[:8].upper() == b"* FLAGS ":
                st.untagged["FLAGS"] += 1
                self.keywords = {f.lower() for f in line[8:].strip().strip(b"()").split()
                                 if not f.startswith(b"\\")}


async def connect(port):
    r, w = await asyncio.open_connection("127.0.0.1", port, limit=1 << 24)
    c = Conn(r, w)
    greeting = await c.read_response_line()
    if not greeting.startswith(b"* OK"):
        c.close()
        raise ConnectionError("greeting: %r" % greeting[:200])
    return c


# --- populate -------------------------------------------------------------

async def populate_one(args, index, user, corpus):
    c = await connect(args.port)
    st, _, line = await c.command(b'LOGIN %s "%s"' % (user.encode(), args.password.encode()))
    if st != b"OK":
        raise RuntimeError("%s: LOGIN: %r" % (user, line[:200]))
    for folder in FOLDERS:
        await c.command(b"CREATE " + folder)  # NO if the server made it already

    async def multiappend(mailbox, count, first, seen):
        done = 0
        while done < count:
            n = min(200, count - done)
            c.n += 1
            tag = b"p%d" % c.n
            out = [tag + b" APPEND " + mailbox]
            for k in range(n):
                msg = corpus[(first + done + k) % len(corpus)]
                out.append((b" (\\Seen)" if seen(done + k) else b"") + b" {%d+}\r\n" % len(msg) + msg)
            c.w.write(b"".join(out) + b"\r\n")
            await c.w.drain()
            while True:
                line = await c.read_response_line()
                if line.startswith(tag + b" "):
                    if not line.startswith(tag + b" OK"):
                        raise RuntimeError("%s: APPEND %s: %r" % (user, mailbox, line[:200]))
                    break
            done += n

    base = index * args.messages
    await multiappend(b"INBOX", args.messages, base, lambda k: k % 3 != 0)
    await multiappend(b"Archive", 20, base + args.messages, lambda k: True)
    await multiappend(b"Sent", 10, base + args.messages + 20, lambda k: True)
    st, un, line = await c.command(b"SELECT INBOX")
    s = Session(c, user)
    s.absorb(un, Stats(), b"SELECT INBOX", Uids())
    if st != b"OK" or s.exists != args.messages:
        raise RuntimeError("%s: after populate SELECT INBOX says %d messages (%r), not %d" % (
            user, s.exists, line[:200], args.messages))
    await c.command(b"LOGOUT")
    c.close()


async def populate(args):
    corpus = load_corpus(args.corpus, args.corpus_limit)
    start = time.perf_counter()
    sem = asyncio.Semaphore(4)

    async def one(i, user):
        async with sem:
            await populate_one(args, i, user, corpus)
    await asyncio.gather(*[one(i, u) for i, u in enumerate(args.users)])
    print(json.dumps({"seconds": time.perf_counter() - start,
                      "messages": len(args.users) * (args.messages + 30)}))


# --- the run --------------------------------------------------------------

class Client:
    def __init__(self, args, i, corpus, st, uids):
        self.args, self.i, self.corpus, self.st, self.uids = args, i, corpus, st, uids
        self.rnd = random.Random(args.seed * 1000003 + i)
        self.own = {}  # account -> UIDs this client appended and has not expunged
        self.draws = 0
        self.prefix = []  # a short digest of each of the first DIGEST_DRAWS draws
        self.sessions = []
        self.end = None

    def draw(self):
        """One command to run: its kind and four numbers in [0, 1) that
        pick its arguments. Always the same five numbers from the
        generator, whatever happens to the command."""
        kind = self.rnd.choices(NAMES, WEIGHT_LIST)[0]
        u = [self.rnd.random() for _ in range(4)]
        if self.draws < DIGEST_DRAWS:
            self.prefix.append(hashlib.sha1(("%s %r" % (kind, u)).encode()).hexdigest()[:6])
        self.draws += 1
        return kind, u

    async def command(self, s, kind, text, literals=(), selecting=False):
        """Sends one command on s; returns (ok, tagged line, seconds).
        Counts it; raises Lost when the connection is gone."""
        t0 = time.perf_counter()
        try:
            status, untagged, line = await asyncio.wait_for(s.c.command(text, literals), CMD_TIMEOUT)
        except (OSError, EOFError, asyncio.IncompleteReadError, asyncio.TimeoutError) as e:
            self.st.error(kind, text, "connection lost: %s" % (str(e)[:200] or type(e).__name__))
            raise Lost() from e
        dt = time.perf_counter() - t0
        if selecting:
            s.exists, s.keywords = 0, None
        s.absorb(untagged, self.st, text, self.uids[s.acct])
        if status == b"OK":
            self.st.cmds[kind] += 1
            return True, line, dt
        self.st.error(kind, text, line)
        return False, line, dt

    async def single(self, s, kind, text, literals=(), selecting=False):
        ok, line, dt = await self.command(s, kind, text, literals, selecting)
        if ok:
            self.st.lat[kind].append(dt)
        return ok, line

    async def op(self, s, kind, u):
        uids = self.uids[s.acct]
        if kind in ("FETCH_FLAGS", "FETCH_ENV", "FETCH_BODY") and s.exists == 0:
            kind = "NOOP"
        if kind == "NOOP":
            await self.single(s, kind, b"NOOP")
        elif kind == "SELECT":
            await self.single(s, kind, b"SELECT INBOX", selecting=True)
        elif kind == "FETCH_FLAGS":
            await self.single(s, kind, b"FETCH 1:* (UID FLAGS)")
        elif kind == "FETCH_ENV":
            lo = 1 + int(u[0] * max(1, s.exists - 19))
            hi = min(s.exists, lo + 19)
            await self.single(s, kind, b"FETCH %d:%d (UID FLAGS ENVELOPE BODYSTRUCTURE)" % (lo, hi))
        elif kind == "FETCH_BODY":
            await self.single(s, kind, b"FETCH %d BODY.PEEK[]" % (1 + int(u[0] * s.exists)))
        elif kind in ("STORE_FLAG", "STORE_KEYWORD"):
            if kind == "STORE_FLAG":
                what = (b"+" if u[2] < 0.6 else b"-") + b"FLAGS (%s)" % (b"\\Seen" if u[1] < 0.6 else b"\\Flagged")
            elif u[2] < 0.7:
                what = b"+FLAGS ($label%d)" % (1 + int(u[1] * 9))
            else:  # a keyword the mailbox most likely has not seen yet
                what = b"+FLAGS ($Proj%d)" % (1 + int(u[1] * 500))
            uid = uids.pick(u[0])
            if uid is None:
                await self.single(s, kind, b"STORE %d %s" % (1 + int(u[0] * max(1, s.exists)), what))
            else:
                await self.single(s, kind, b"UID STORE %d %s" % (uid, what))
        elif kind == "APPEND" or (kind == "EXPUNGE" and not self.own.get(s.acct)):
            # An EXPUNGE with nothing of its own to delete appends instead,
            # so INBOX keeps about its size.
            msg = self.corpus[int(u[0] * len(self.corpus))]
            ok, line = await self.single(s, "APPEND", b"APPEND INBOX" + (b" (\\Seen)" if u[1] < 0.3 else b""),
                                         [msg])
            m = _APPENDUID.search(line) if ok else None
            if m:
                uids.add(int(m.group(1)))
                self.own.setdefault(s.acct, []).append(int(m.group(1)))
        elif kind == "EXPUNGE":
            own = self.own[s.acct]
            uid = own.pop(int(u[0] * len(own)))
            ok, _, dt1 = await self.command(s, kind, b"UID STORE %d +FLAGS.SILENT (\\Deleted)" % uid)
            if ok:
                ok, _, dt2 = await self.command(s, kind, b"UID EXPUNGE %d" % uid)
                if ok:
                    self.st.lat[kind].append(dt1 + dt2)
                    uids.discard(uid)
        elif kind == "STATUS":
            await self.single(s, kind, b"STATUS %s (MESSAGES UNSEEN UIDNEXT)" % FOLDERS[int(u[0] * len(FOLDERS))])
        elif kind == "LIST":
            await self.single(s, kind, b'LIST "" "*"')

    # variant open

    async def open_session(self, acct):
        c = await connect(self.args.port)
        s = Session(c, acct)
        st, un, line = await c.command(b'LOGIN %s "%s"' % (acct.encode(), self.args.password.encode()))
        if st != b"OK":
            c.close()
            raise RuntimeError("%s: LOGIN: %r" % (acct, line[:200]))
        st, un, line = await c.command(b"SELECT INBOX")
        s.absorb(un, self.st, b"SELECT INBOX", self.uids[acct])
        if st != b"OK":
            c.close()
            raise RuntimeError("%s: SELECT INBOX: %r" % (acct, line[:200]))
        return s

    async def setup_open(self, accounts):
        acct = accounts[self.i % len(accounts)]
        self.sessions = [await self.open_session(acct) for _ in range(self.args.conns)]

    async def run_open(self, deadline):
        while time.perf_counter() < deadline:
            kind, u = self.draw()
            k = int(u[3] * len(self.sessions))
            s = self.sessions[k]
            try:
                await self.op(s, kind, u)
            except Lost:
                self.st.reconnects += 1
                s.c.close()
                try:
                    self.sessions[k] = await asyncio.wait_for(self.open_session(s.acct), CMD_TIMEOUT)
                except (OSError, EOFError, RuntimeError, asyncio.IncompleteReadError, asyncio.TimeoutError) as e:
                    self.st.error("LOGIN", "reconnect", "reconnect failed: %s" % str(e)[:200])
                    await asyncio.sleep(0.5)
        self.end = time.perf_counter()

    async def close_open(self):
        for s in self.sessions:
            try:
                await asyncio.wait_for(s.c.command(b"LOGOUT"), 10)
            except (OSError, EOFError, asyncio.IncompleteReadError, asyncio.TimeoutError):
                pass
            s.c.close()

    # variant login

    async def run_login(self, deadline, accounts):
        cycle = 0
        while time.perf_counter() < deadline:
            acct = accounts[(self.i + cycle * self.args.clients) % len(accounts)]
            cycle += 1
            count = 3 + int(self.rnd.random() * 3)
            draws = [self.draw() for _ in range(count)]
            await self.cycle(acct, draws)
            self.st.cycles += 1
        self.end = time.perf_counter()

    async def cycle(self, acct, draws):
        t0 = time.perf_counter()
        try:
            c = await asyncio.wait_for(connect(self.args.port), CMD_TIMEOUT)
        except (OSError, EOFError, asyncio.IncompleteReadError, asyncio.TimeoutError) as e:
            self.st.error("GREETING", "connect", "connection failed: %s" % (str(e)[:200] or type(e).__name__))
            await asyncio.sleep(0.1)
            return
        self.st.lat["GREETING"].append(time.perf_counter() - t0)
        s = Session(c, acct)
        try:
            ok, _ = await self.single(s, "LOGIN", b'LOGIN %s "%s"' % (acct.encode(), self.args.password.encode()))
            if not ok:
                return
            ok, _ = await self.single(s, "SELECT", b"SELECT INBOX", selecting=True)
            if ok:
                for kind, u in draws:
                    await self.op(s, kind, u)
            await self.single(s, "LOGOUT", b"LOGOUT")
        except Lost:
            self.st.reconnects += 1
        finally:
            c.close()


async def learn_uids(args, acct, uids):
    """Before the clock: the UIDs of acct's INBOX, as a client that synced
    once knows them."""
    c = await connect(args.port)
    st, _, line = await c.command(b'LOGIN %s "%s"' % (acct.encode(), args.password.encode()))
    if st != b"OK":
        raise RuntimeError("%s: LOGIN: %r" % (acct, line[:200]))
    s = Session(c, acct)
    st, un, _ = await c.command(b"SELECT INBOX")
    s.absorb(un, Stats(), b"", uids)
    st, un, _ = await c.command(b"UID FETCH 1:* (UID)")
    s.absorb(un, Stats(), b"", uids)
    await c.command(b"LOGOUT")
    c.close()


def pct(lat, q):
    return 1000 * lat[min(len(lat) - 1, int(len(lat) * q))] if lat else None


async def run(args):
    corpus = load_corpus(args.corpus, args.corpus_limit)
    accounts = args.users[:args.accounts]
    if len(accounts) < args.accounts:
        raise SystemExit("only %d accounts given, --accounts %d" % (len(accounts), args.accounts))
    st = Stats()
    uids = {a: Uids() for a in accounts}
    clients = [Client(args, i, corpus, st, uids) for i in range(args.clients)]
    sem = asyncio.Semaphore(8)

    async def limited(coro):
        async with sem:
            await coro
    await asyncio.gather(*[limited(learn_uids(args, a, uids[a])) for a in accounts])
    t0 = time.perf_counter()
    if args.variant == "open":
        # Every connection logged in and INBOX selected before the clock.
        await asyncio.gather(*[limited(c.setup_open(accounts)) for c in clients])
    setup = time.perf_counter() - t0
    cpu0 = cpu_seconds()
    server_cpu0 = server_cpu_seconds(args.server_pid) if args.server_pid else None
    start = time.perf_counter()
    if args.variant == "open":
        await asyncio.gather(*[c.run_open(start + args.seconds) for c in clients])
    else:
        await asyncio.gather(*[c.run_login(start + args.seconds, accounts) for c in clients])
    wall = max(c.end for c in clients) - start
    cpu = cpu_seconds() - cpu0
    # The server's CPU over the clocked part only: not the logins of the
    # open variant's set-up (argon2id on Dovecot at every one of them).
    server_cpu = server_cpu_seconds(args.server_pid) - server_cpu0 if args.server_pid else None
    if args.variant == "open":
        await asyncio.gather(*[c.close_open() for c in clients])
    commands = sum(st.cmds.values())
    kinds = {}
    for k in KINDS:
        lat = sorted(st.lat[k])
        kinds[k] = {"n": len(lat), "commands": st.cmds[k], "errors": st.errors[k],
                    "p50_ms": pct(lat, 0.5), "p99_ms": pct(lat, 0.99)}
    errors = sorted(([v[0], k[0], v[1], v[2]] for k, v in st.error_lines.items()), key=lambda e: -e[0])
    print(json.dumps({
        "variant": args.variant, "clients": args.clients, "accounts": args.accounts, "conns": args.conns,
        "setup_s": setup, "wall_s": wall, "commands": commands, "commands_per_s": commands / wall,
        "draws": sum(c.draws for c in clients), "cycles": st.cycles, "reconnects": st.reconnects,
        "generator_cpu_s": cpu, "server_cpu_s": server_cpu, "kinds": kinds, "error_lines": errors[:100],
        "violations": st.violations, "violation_examples": st.violation_examples, "untagged": st.untagged,
        "draw_prefix": [c.prefix for c in clients]}))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["populate", "run"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--users", required=True, help="account names, comma separated")
    ap.add_argument("--password", default="bench-pass")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--corpus-limit", type=int, default=2000)
    ap.add_argument("--messages", type=int, default=200, help="INBOX messages per account (populate)")
    ap.add_argument("--variant", choices=["open", "login"], default="open")
    ap.add_argument("--accounts", type=int, default=20, help="use the first A of --users")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--conns", type=int, default=2, help="connections per client (open)")
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--server-pid", type=int, help="measure the CPU of this process tree while the clock runs")
    args = ap.parse_args()
    args.users = args.users.split(",")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(populate(args) if args.mode == "populate" else run(args))


if __name__ == "__main__":
    main()
