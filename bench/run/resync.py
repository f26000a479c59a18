#!/usr/bin/env python3
"""Mailbox resynchronisation (issue: QRESYNC versus a full FLAGS resync)
against Lemonade and Dovecot (Debian dovecot-imapd) on loopback, one after
the other: the octets a client exchanges, and the time it takes, to bring
its copy of a big INBOX up to date after 1 % of the messages had their
flags changed and 0.1 % were expunged.

Per server: INBOX is filled with N messages (load/mixed_load.py populate);
a client syncs fully (SELECT INBOX (CONDSTORE), UID FETCH 1:* (UID FLAGS
MODSEQ)) and keeps UIDVALIDITY, HIGHESTMODSEQ and uid -> flags; another
connection changes the flags of 1 % of the messages (UID STORE, one per
message: +\\Seen or -\\Seen, +\\Flagged, +keyword, fixed seed) and expunges
0.1 % (UID STORE +FLAGS (\\Deleted), UID EXPUNGE). Then each variant below
resyncs from that saved state, BENCH_REPS times (a resync changes nothing
on the server, so all start from the same state), each as a new connection
from connect to the tagged LOGOUT response:

  qresync          ENABLE QRESYNC, SELECT INBOX (QRESYNC (uidvalidity modseq))
  qresync-known    the same with the known-uids argument
  condstore-search SELECT INBOX (CONDSTORE), UID FETCH 1:* (FLAGS)
                   (CHANGEDSINCE modseq), UID SEARCH ALL (expunges)
  condstore-uids   the same with UID FETCH 1:* (UID) for the expunges
  condstore-esearch the same with UID SEARCH RETURN (ALL) ALL (RFC 4731)
  full             SELECT INBOX, UID FETCH 1:* (FLAGS)

(g) and (h), a phone's message list of the newest 50 messages (issue 15):
the classic way (UID SEARCH ALL, then UID FETCH of their UID, FLAGS,
ENVELOPE and BODY.PEEK[1]<0.2048>) against UID FETCH 1:* (UID FLAGS
ENVELOPE PREVIEW) (PARTIAL -1:-50) (RFC 9394, RFC 8970; Lemonade only:
Dovecot 2.3 has no PARTIAL). And, for the octets of a phone's session (issue 15), qresync and full
followed by the message list's newest 50 (FETCH n-49:n (UID FLAGS ENVELOPE
BODYSTRUCTURE)), plain and with COMPRESS DEFLATE (RFC 4978) right after
LOGIN: "+env" and "+env+deflate". Octets are counted on the wire
(compressed where COMPRESS is on).

After every resync the client's view (uid -> flags, HIGHESTMODSEQ, message
count) is compared with the truth, a UID FETCH 1:* (FLAGS) on another
connection (and the truth with the changes the bench made): a difference
is printed with the exchange and the run exits 1, with no figure for that
row. A server that does not advertise QRESYNC / CONDSTORE / ESEARCH gets
"not supported" in those rows. run.py runs this too (BENCH_WORKLOADS=resync);
see bench/README.md."""

import argparse
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import PASSWORD, ROOT, Dovecot  # noqa: E402
from mixed import MixedLemonade, load  # noqa: E402

USER = "mixed"  # the one user MixedLemonade creates
KEYWORD = b"$BenchLabel"
SERVERS = ("lemonade", "dovecot")

# name, capability needed, label
VARIANTS = [
    ("qresync", b"QRESYNC", "(a) QRESYNC"),
    ("qresync-known", b"QRESYNC", "(b) QRESYNC, known-uids"),
    ("condstore-search", b"CONDSTORE", "(c) CHANGEDSINCE + UID SEARCH ALL"),
    ("condstore-uids", b"CONDSTORE", "(c) CHANGEDSINCE + UID FETCH 1:* (UID)"),
    ("condstore-esearch", b"CONDSTORE ESEARCH", "(c) CHANGEDSINCE + ESEARCH ALL"),
    ("full", b"", "(d) full: UID FETCH 1:* (FLAGS)"),
    ("qresync+env", b"QRESYNC", "(e) (a) + newest 50 envelopes"),
    ("qresync+env+deflate", b"QRESYNC COMPRESS=DEFLATE", "(e) the same, COMPRESS=DEFLATE"),
    ("full+env", b"", "(f) (d) + newest 50 envelopes"),
    ("full+env+deflate", b"COMPRESS=DEFLATE", "(f) the same, COMPRESS=DEFLATE"),
    ("list50", b"", "(g) newest 50: UID SEARCH ALL, envelopes + 2 KB of part 1"),
    ("list50-partial", b"PARTIAL PREVIEW", "(h) newest 50: PARTIAL -1:-50 + PREVIEW"),
]


class WrongAnswer(Exception):
    """The server's answer is wrong or the client could not use it."""


# ---------------------------------------------------------------- client

class Session:
    """A blocking IMAP client on loopback that counts every octet it sends
    and receives and keeps the whole received stream. While a command runs
    it only looks for the tagged response (bulk reads, no parsing), so the
    time measured is the server's and the network's; responses are parsed
    afterwards."""

    def __init__(self, port, user=USER, password=PASSWORD):
        self.t_connect = time.perf_counter()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=1800)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rx, self.tx, self.sent, self.n = bytearray(), bytearray(), 0, 0
        self.wire_rx, self.zc, self.zd = 0, None, None  # COMPRESS (start_compress)
        self.log = []  # per command: dict(name, text, tag, rx_start, rx_end, tx, t0, t1, status)
        while b"\r\n" not in self.rx:
            self._recv()
        end = self.rx.index(b"\r\n") + 2
        if not self.rx.startswith(b"* OK"):
            raise WrongAnswer("greeting: %r" % bytes(self.rx[:200]))
        self.pos = end
        self.log.append(dict(name="greeting", text=b"", tag=b"", rx_start=0, rx_end=end, tx=0,
                             t0=self.t_connect, t1=time.perf_counter(), status=b"OK"))
        self.command(b'LOGIN %s "%s"' % (user.encode(), password.encode()), "LOGIN")

    def _recv(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise WrongAnswer("connection closed by the server")
        self.wire_rx += len(data)
        if self.zd:
            data = self.zd.decompress(data)
        self.rx += data

    def start_compress(self):
        """COMPRESS DEFLATE (RFC 4978): raw DEFLATE both ways from now on,
        a sync flush after each command; octets are counted compressed."""
        self.command(b"COMPRESS DEFLATE", "COMPRESS")
        self.zc, self.zd = zlib.compressobj(6, zlib.DEFLATED, -15), zlib.decompressobj(-15)

    def command(self, text, name=None, ok=True):
        """Sends one command and reads up to its tagged response; returns
        the status (OK, NO, BAD). With ok=True anything but OK raises."""
        self.n += 1
        tag = b"R%d" % self.n
        line = tag + b" " + text + b"\r\n"
        start = self.pos
        t0 = time.perf_counter()
        wire = self.zc.compress(line) + self.zc.flush(zlib.Z_SYNC_FLUSH) if self.zc else line
        self.sock.sendall(wire)
        self.sent += len(wire)
        self.tx += line
        needle = b"\r\n" + tag + b" "
        scan = start - 2  # every response starts right after a CRLF
        while True:
            i = self.rx.find(needle, scan)
            if i >= 0:
                e = self.rx.find(b"\r\n", i + 2)
                if e >= 0:
                    break
                scan = i
            else:
                scan = max(start - 2, len(self.rx) - len(needle) + 1)
            self._recv()
        t1 = time.perf_counter()
        end = e + 2
        status = bytes(self.rx[i + 2 + len(tag) + 1:end]).split(b" ", 1)[0].rstrip(b"\r\n")
        self.pos = end
        self.log.append(dict(name=name or text.split(b" ")[0].decode(), text=text, tag=tag, rx_start=start,
                             rx_end=end, tx=len(line), t0=t0, t1=t1, status=status))
        if ok and status != b"OK":
            raise WrongAnswer("%s: %r" % (text[:100].decode("latin-1"), bytes(self.rx[i + 2:end])))
        return status

    def logout(self):
        self.command(b"LOGOUT")
        self.t_end = time.perf_counter()
        # Octets up to and including LOGOUT's tagged response (all of them
        # on the wire when compressed: nothing follows it).
        self.received = self.wire_rx if self.zd else self.pos
        self.sock.close()

    def responses(self, name):
        """The response lines (literals included) of the last command
        called name, the tagged one last. Checks that the tagged line the
        timed loop found is where the responses really end."""
        ent = [c for c in self.log if c["name"] == name][-1]
        out, p, end = [], ent["rx_start"], ent["rx_end"]
        while p < end:
            q = p
            while True:
                e = self.rx.find(b"\r\n", q, end)
                if e < 0:
                    raise WrongAnswer("%s: response cut short" % name)
                m = re.search(rb"\{(\d+)\+?\}$", bytes(self.rx[max(q, e - 24):e]))
                if not m:
                    break
                q = e + 2 + int(m.group(1))
            out.append(bytes(self.rx[p:e + 2]))
            p = e + 2
        if ent["tag"] and not out[-1].startswith(ent["tag"] + b" "):
            raise WrongAnswer("%s: the tagged response was inside a literal" % name)
        return out


def caps_of(port):
    s = Session(port)
    s.command(b"CAPABILITY")
    caps = set()
    for line in s.responses("CAPABILITY"):
        if line.startswith(b"* CAPABILITY "):
            caps.update(line[13:].strip().upper().split())
    s.logout()
    return caps


def has(caps, needed):
    return all(c in caps for c in needed.split())


# ---------------------------------------------------------------- parsing

FETCH_RE = re.compile(rb"\* (\d+) FETCH \((.*)\)\r\n\Z", re.S)
UID_RE = re.compile(rb"(?:^|[ (])UID (\d+)")
FLAGS_RE = re.compile(rb"(?:^|[ (])FLAGS \(([^)]*)\)")
MODSEQ_RE = re.compile(rb"(?:^|[ (])MODSEQ \((\d+)\)")


def norm_flags(text):
    """A message's flags without \\Recent (a per-session flag, RFC 3501)."""
    return frozenset(f for f in text.split() if f.lower() != b"\\recent")


def uid_set(text):
    out = []
    for part in text.split(b","):
        a, _, b = part.partition(b":")
        lo, hi = int(a), int(b or a)
        if lo > hi:
            lo, hi = hi, lo
        out.extend(range(lo, hi + 1))
    return out


def compress(uids):
    out, uids = [], sorted(uids)
    i = 0
    while i < len(uids):
        j = i
        while j + 1 < len(uids) and uids[j + 1] == uids[j] + 1:
            j += 1
        out.append(b"%d" % uids[i] if i == j else b"%d:%d" % (uids[i], uids[j]))
        i = j + 1
    return b",".join(out)


def fetches(lines, what):
    """(uid, flags, modseq) of each FETCH response; uid None if absent."""
    out = []
    for line in lines:
        m = FETCH_RE.match(line)
        if not m:
            continue
        body = m.group(2)
        u, f, ms = UID_RE.search(body), FLAGS_RE.search(body), MODSEQ_RE.search(body)
        out.append((int(u.group(1)) if u else None, norm_flags(f.group(1)) if f else None,
                    int(ms.group(1)) if ms else None, line))
    return out


def mailbox_info(lines):
    info = {"exists": None, "uidvalidity": None, "highestmodseq": None}
    for line in lines:
        m = re.match(rb"\* (\d+) EXISTS\r\n", line)
        if m:
            info["exists"] = int(m.group(1))
        m = re.search(rb"\[UIDVALIDITY (\d+)\]", line)
        if m:
            info["uidvalidity"] = int(m.group(1))
        m = re.search(rb"\[HIGHESTMODSEQ (\d+)\]", line)
        if m:
            info["highestmodseq"] = int(m.group(1))
    return info


def flag_map(lines, name):
    out = {}
    for uid, flags, _, line in fetches(lines, name):
        if uid is None or flags is None:
            raise WrongAnswer("%s: FETCH without UID or FLAGS: %r" % (name, line[:200]))
        out[uid] = flags
    return out


# ---------------------------------------------------------------- the workload

class State:
    def __init__(self, uidvalidity, highestmodseq, flags):
        self.uidvalidity, self.highestmodseq, self.flags = uidvalidity, highestmodseq, flags


def initial_sync(port, caps):
    s = Session(port)
    condstore = has(caps, b"CONDSTORE")
    if has(caps, b"QRESYNC"):
        s.command(b"ENABLE QRESYNC")
    s.command(b"SELECT INBOX (CONDSTORE)" if condstore else b"SELECT INBOX", "SELECT")
    s.command(b"UID FETCH 1:* (UID FLAGS MODSEQ)" if condstore else b"UID FETCH 1:* (UID FLAGS)", "FETCH")
    s.logout()
    info = mailbox_info(s.responses("SELECT"))
    lines = s.responses("FETCH")
    flags = flag_map(lines, "initial UID FETCH")
    if condstore:
        mods = [ms for _, _, ms, _ in fetches(lines, "")]
        if info["highestmodseq"] is None or None in mods:
            raise WrongAnswer("initial sync: CONDSTORE advertised but no HIGHESTMODSEQ / MODSEQ")
        if max(mods, default=0) > info["highestmodseq"]:
            raise WrongAnswer("initial sync: a MODSEQ %d above HIGHESTMODSEQ %d" % (max(mods), info["highestmodseq"]))
    if info["exists"] != len(flags):
        raise WrongAnswer("initial sync: %s EXISTS but %d messages fetched" % (info["exists"], len(flags)))
    return State(info["uidvalidity"], info["highestmodseq"], flags)


def make_changes(port, state, seed):
    """Changes the flags of 1 % of the messages (each really changes) and
    expunges 0.1 %; returns the flags the mailbox must then have."""
    rnd = random.Random(seed)
    uids = sorted(state.flags)
    n_flag, n_exp = round(len(uids) * 0.01), round(len(uids) * 0.001)
    picked = rnd.sample(uids, n_flag + n_exp)
    changed, expunged = sorted(picked[:n_flag]), sorted(picked[n_flag:])
    expected = {u: {f.lower() for f in fl} for u, fl in state.flags.items()}
    s = Session(port)
    s.command(b"SELECT INBOX")
    kinds = {}
    for uid in changed:
        flag = rnd.choice([b"\\Seen", b"\\Flagged", KEYWORD])
        op = b"-" if flag.lower() in expected[uid] else b"+"
        kinds[op + flag] = kinds.get(op + flag, 0) + 1
        s.command(b"UID STORE %d %sFLAGS.SILENT (%s)" % (uid, op, flag), "STORE")
        if op == b"+":
            expected[uid].add(flag.lower())
        else:
            expected[uid].discard(flag.lower())
    if expunged:
        s.command(b"UID STORE %s +FLAGS.SILENT (\\Deleted)" % compress(expunged), "STORE")
        s.command(b"UID EXPUNGE %s" % compress(expunged), "EXPUNGE")
    s.logout()
    for uid in expunged:
        del expected[uid]
    return expected, changed, expunged, kinds


def truth(port, caps):
    s = Session(port)
    s.command(b"EXAMINE INBOX (CONDSTORE)" if has(caps, b"CONDSTORE") else b"EXAMINE INBOX", "EXAMINE")
    s.command(b"UID FETCH 1:* (FLAGS)", "FETCH")
    s.logout()
    info = mailbox_info(s.responses("EXAMINE"))
    flags = flag_map(s.responses("FETCH"), "truth UID FETCH")
    if info["exists"] != len(flags):
        raise WrongAnswer("truth: %s EXISTS but %d messages fetched" % (info["exists"], len(flags)))
    return info, flags


def resync(port, variant, state):
    """One resync; returns (session, the client's new view, new HIGHESTMODSEQ, EXISTS)."""
    uv, ms = state.uidvalidity, state.highestmodseq
    base = variant.split("+")[0]
    s = Session(port)
    if base.startswith("list50"):
        first = len(s.log)
        s.command(b"SELECT INBOX", "SELECT")
        if base == "list50":
            s.command(b"UID SEARCH ALL", "UIDS")
            uids = sorted(int(x) for line in s.responses("UIDS") if line.startswith(b"* SEARCH")
                          for x in line[8:].split() if x.isdigit())[-50:]
            s.command(b"UID FETCH %s (UID FLAGS ENVELOPE BODY.PEEK[1]<0.2048>)" % ",".join(map(str, uids)).encode(),
                      "LIST")
        else:
            s.command(b"UID FETCH 1:* (UID FLAGS ENVELOPE PREVIEW) (PARTIAL -1:-50)", "LIST")
        got = len([line for line in s.responses("LIST") if re.match(rb"\* \d+ FETCH ", line)])
        if got != 50:
            raise WrongAnswer("the newest 50: %d FETCH responses" % got)
        last = len(s.log)
        s.logout()
        s.resync_s = s.log[last - 1]["t1"] - s.log[first]["t0"]
        s.total_s = s.t_end - s.t_connect
        return s, None, None, None
    if variant.endswith("+deflate"):
        s.start_compress()
    first = len(s.log)
    if variant.startswith("qresync"):
        s.command(b"ENABLE QRESYNC")
        known = b" " + compress(state.flags) if variant == "qresync-known" else b""
        s.command(b"SELECT INBOX (QRESYNC (%d %d%s))" % (uv, ms, known), "SELECT")
    elif variant.startswith("condstore"):
        s.command(b"SELECT INBOX (CONDSTORE)", "SELECT")
        s.command(b"UID FETCH 1:* (FLAGS) (CHANGEDSINCE %d)" % ms, "FETCH")
        s.command({"condstore-search": b"UID SEARCH ALL", "condstore-uids": b"UID FETCH 1:* (UID)",
                   "condstore-esearch": b"UID SEARCH RETURN (ALL) ALL"}[base], "UIDS")
    else:
        s.command(b"SELECT INBOX", "SELECT")
        s.command(b"UID FETCH 1:* (FLAGS)", "FETCH")
    if "+env" in variant:
        n = mailbox_info(s.responses("SELECT"))["exists"]
        s.command(b"FETCH %d:%d (UID FLAGS ENVELOPE BODYSTRUCTURE)" % (max(1, n - 49), n), "ENVELOPES")
        if len([l for l in s.responses("ENVELOPES") if b"ENVELOPE" in l]) != min(50, n):
            raise WrongAnswer("the newest 50 envelopes: %d FETCH responses" % len(s.responses("ENVELOPES")))
    last = len(s.log)
    s.logout()
    s.resync_s = s.log[last - 1]["t1"] - s.log[first]["t0"]  # without greeting, LOGIN and LOGOUT
    s.total_s = s.t_end - s.t_connect

    sel = s.responses("SELECT")
    info = mailbox_info(sel)
    if info["uidvalidity"] != uv:
        raise WrongAnswer("UIDVALIDITY %s, was %d" % (info["uidvalidity"], uv))
    if base == "full":
        view = flag_map(s.responses("FETCH"), "full UID FETCH")
        return s, view, None, info["exists"]
    view = dict(state.flags)
    if variant.startswith("qresync"):
        changes = sel
        for line in sel:
            m = re.match(rb"\* VANISHED \(EARLIER\) ([0-9:,]+)\r\n\Z", line)
            if m:
                for uid in uid_set(m.group(1)):
                    view.pop(uid, None)  # may name UIDs the client never saw (RFC 7162 3.2.5.1)
            elif re.match(rb"\* (VANISHED|\d+ EXPUNGE)", line):
                raise WrongAnswer("unexpected in a QRESYNC SELECT: %r" % line[:200])
    else:
        changes = s.responses("FETCH")
        uids = s.responses("UIDS")
        if variant == "condstore-search":
            lines = [l for l in uids if l.startswith(b"* SEARCH")]
            if len(lines) != 1:
                raise WrongAnswer("UID SEARCH ALL: %d * SEARCH responses" % len(lines))
            present = {int(x) for x in lines[0][8:].split() if x.isdigit()}
        elif variant == "condstore-uids":
            present = set()
            for uid, _, _, line in fetches(uids, ""):
                if uid is None:
                    raise WrongAnswer("UID FETCH 1:* (UID) without UID: %r" % line[:200])
                present.add(uid)
        else:
            lines = [l for l in uids if l.startswith(b"* ESEARCH")]
            if len(lines) != 1:
                raise WrongAnswer("UID SEARCH RETURN (ALL): %d * ESEARCH responses" % len(lines))
            m = re.search(rb" ALL ([0-9:,]+)", lines[0])
            present = set(uid_set(m.group(1))) if m else set()
        for uid in list(view):
            if uid not in present:
                del view[uid]
        new = present - set(view)
        if new:
            raise WrongAnswer("%d UIDs the client never saw (new messages?), e.g. %s" % (len(new), sorted(new)[:5]))
    for uid, flags, _, line in fetches(changes, ""):
        if uid is None or flags is None:
            raise WrongAnswer("FETCH without UID or FLAGS: %r" % line[:200])
        if variant.startswith("qresync") or uid in view:
            view[uid] = flags
    return s, view, info["highestmodseq"], info["exists"]


def diff(view, want, limit=5):
    out = []
    for uid in sorted(set(view) | set(want)):
        if view.get(uid) != want.get(uid):
            out.append("uid %d: client %s, server %s" % (
                uid, "absent" if uid not in view else b" ".join(sorted(view[uid])).decode() or "()",
                "absent" if uid not in want else b" ".join(sorted(want[uid])).decode() or "()"))
    return "%d differ: %s" % (len(out), "; ".join(out[:limit]))


def excerpt(s, limit=12):
    """The exchange, each command with its first and last response lines."""
    out = []
    for c in s.log:
        if c["text"]:
            out.append("C: %s" % c["tag"].decode() + " " + c["text"][:200].decode("latin-1"))
        lines = bytes(s.rx[c["rx_start"]:c["rx_end"]]).split(b"\r\n")[:-1]
        shown = lines if len(lines) <= limit else lines[:limit - 2] + [b"... (%d lines)" % (len(lines) - limit + 1)] \
            + lines[-1:]
        out += ["S: " + l[:300].decode("latin-1") for l in shown]
    return "\n".join(out)


def check(variant, s, view, hms, exists, tinfo, tflags):
    problems = []
    if view != tflags:
        problems.append("flags/UIDs: " + diff(view, tflags))
    if exists != len(tflags):
        problems.append("EXISTS %s, the mailbox has %d" % (exists, len(tflags)))
    if variant.split("+")[0] != "full" and hms != tinfo["highestmodseq"]:
        problems.append("HIGHESTMODSEQ %s, the mailbox's is %s" % (hms, tinfo["highestmodseq"]))
    if problems:
        raise WrongAnswer("wrong resync: %s\n%s" % ("; ".join(problems), excerpt(s)))


# ---------------------------------------------------------------- runner

def add_options(ap):
    env = os.environ.get
    ap.add_argument("--resync-size", type=int, default=int(env("BENCH_RESYNC_SIZE", "100000")),
                    help="messages in INBOX")
    ap.add_argument("--resync-seed", type=int, default=int(env("BENCH_RESYNC_SEED", "1")))
    ap.add_argument("--resync-corpus", type=int, default=int(env("BENCH_RESYNC_CORPUS", "500")),
                    help="distinct messages generated")
    ap.add_argument("--resync-servers", default=env("BENCH_RESYNC_SERVERS", "lemonade,dovecot"))
    ap.add_argument("--resync-dump", default=env("BENCH_RESYNC_DUMP", ""),
                    help="directory for each server's and variant's exchange (first run)")


def log(msg):
    print("bench: resync, " + msg, file=sys.stderr, flush=True)


def run_server(args, server, corpus, res):
    name = server.name
    res["populate"][name] = load(server, "populate", "--corpus", corpus, "--count", str(args.resync_size),
                                 "--corpus-limit", str(args.resync_corpus))["seconds"]
    caps = caps_of(server.port)
    res["caps"][name] = sorted(c.decode() for c in caps if c in (b"CONDSTORE", b"QRESYNC", b"ESEARCH"))
    log("%s: initial sync" % name)
    state = initial_sync(server.port, caps)
    log("%s: changing flags and expunging" % name)
    expected, changed, expunged, kinds = make_changes(server.port, state, args.resync_seed)
    tinfo, tflags = truth(server.port, caps)
    lower = {u: {f.lower() for f in fl} for u, fl in tflags.items()}
    if lower != expected:
        raise WrongAnswer("%s: after the changes the mailbox is not what they should have made: %s" % (
            name, diff({u: frozenset(v) for u, v in lower.items()}, {u: frozenset(v) for u, v in expected.items()})))
    res["changes"][name] = (len(changed), len(expunged), kinds, state.highestmodseq, tinfo["highestmodseq"])
    for rep in range(args.reps):
        for variant, need, _ in VARIANTS:
            if not has(caps, need):
                res["rows"].setdefault((name, variant), "not supported")
                continue
            if res["rows"].get((name, variant)) == "wrong":
                continue
            log("%s: %s, run %d" % (name, variant, rep + 1))
            try:
                s, view, hms, exists = resync(server.port, variant, state)
                if not variant.startswith("list50"):  # a list, not a resync: checked by its count
                    tinfo, tflags = truth(server.port, caps)
                    check(variant, s, view, hms, exists, tinfo, tflags)
            except (WrongAnswer, OSError) as e:
                res["rows"][(name, variant)] = "wrong"
                res["errors"].append("%s %s: %s" % (name, variant, e))
                print("\nWRONG ANSWER: %s %s: %s\n" % (name, variant, e), file=sys.stderr, flush=True)
                continue
            row = res["rows"].setdefault((name, variant), [])
            row.append(dict(sent=s.sent, received=s.received, total_s=s.total_s, resync_s=s.resync_s,
                            per_command=[(c["name"], c["tx"], c["rx_end"] - c["rx_start"], 1000 * (c["t1"] - c["t0"]))
                                         for c in s.log]))
            if rep == 0:
                res["excerpts"][(name, variant)] = excerpt(s, 8)
                if args.resync_dump:
                    os.makedirs(args.resync_dump, exist_ok=True)
                    with open(os.path.join(args.resync_dump, "%s-%s.txt" % (name, variant)), "wb") as f:
                        for c in s.log:
                            if c["text"]:
                                f.write(b"C: " + c["tag"] + b" " + c["text"] + b"\r\n")
                            f.write(bytes(s.rx[c["rx_start"]:c["rx_end"]]))


def run(args):
    res = {"rows": {}, "populate": {}, "caps": {}, "changes": {}, "excerpts": {}, "errors": [],
           "started": time.time()}
    servers = [s for s in args.resync_servers.split(",") if s]
    if set(servers) - set(SERVERS):
        raise SystemExit("unknown server in %r" % args.resync_servers)
    res["servers"] = servers
    work = tempfile.mkdtemp(prefix="lemonade-resync-")
    os.chmod(work, 0o755)  # Dovecot's mail processes run as another user
    try:
        corpus = os.path.join(work, "corpus.mbox")
        subprocess.run([sys.executable, os.path.join(ROOT, "..", "shared", "tools", "gen-corpus.py"),
                        "--count", str(args.resync_corpus), "--seed", "1", "--crlf", "--max-attach", "20000",
                        "--quiet", "--out", corpus], check=True)
        lem = MixedLemonade(args.lemonade, work)
        dov = Dovecot(work, lem.hashes())
        for server in (lem, dov):
            if server.name not in servers:
                continue
            log("%s, populating %d messages" % (server.name, args.resync_size))
            server.start()
            try:
                run_server(args, server, corpus, res)
            finally:
                server.stop()
    except BaseException:
        logf = os.path.join(work, "dovecot", "dovecot.log")
        if os.path.exists(logf):
            print(open(logf).read()[-3000:], file=sys.stderr)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    res["elapsed"] = time.time() - res["started"]
    return res


def med(values):
    return statistics.median(values)


def report(args, res):
    """Prints the tables; returns False if a server answered wrongly."""
    rows = res["rows"]
    print("\nResync: INBOX of %d messages; a client synced fully, then another connection changed the flags of 1 %%"
          " and expunged 0.1 %% (seed %d); each variant resyncs from the same saved client state, %d runs;"
          " octets sent + received from connect to LOGOUT's tagged response (no TLS), median time connect..LOGOUT"
          " (and without greeting, LOGIN, LOGOUT)." % (args.resync_size, args.resync_seed, args.reps))
    for name in res["servers"]:
        if name in res["changes"]:
            nf, ne, kinds, m0, m1 = res["changes"][name]
            print("%s: populate %.1f s; advertises %s; %d flag changes (%s), %d expunged; HIGHESTMODSEQ %s -> %s" % (
                name, res["populate"][name], " ".join(res["caps"][name]) or "none of CONDSTORE QRESYNC ESEARCH",
                nf, ", ".join("%s %d" % (k.decode(), v) for k, v in sorted(kinds.items())), ne, m0, m1))

    def cell(name, variant):
        r = rows.get((name, variant))
        if r is None:
            return None, "-"
        if isinstance(r, str):
            return None, "WRONG ANSWER" if r == "wrong" else r
        return r, None

    def octets(r):
        return med([x["sent"] + x["received"] for x in r])

    print("\n%-40s %14s %14s %8s | %9s %9s %8s | %9s %9s" % ("variant", "octets lem", "octets dov", "lem/dov",
                                                              "ms lem", "ms dov", "lem/dov", "excl lem", "excl dov"))
    for variant, _, label in VARIANTS:
        (lr, lt), (dr, dt) = cell("lemonade", variant), cell("dovecot", variant)
        lo = octets(lr) if lr else None
        do = octets(dr) if dr else None
        lms = 1000 * med([x["total_s"] for x in lr]) if lr else None
        dms = 1000 * med([x["total_s"] for x in dr]) if dr else None
        lx = 1000 * med([x["resync_s"] for x in lr]) if lr else None
        dx = 1000 * med([x["resync_s"] for x in dr]) if dr else None

        def num(v, text, fmt, width):
            return (fmt % v).rjust(width) if v is not None else text.rjust(width)

        def rat(a, b):
            return ("%.2f" % (a / b)).rjust(8) if a is not None and b else "-".rjust(8)
        print("%-40s %s %s %s | %s %s %s | %s %s" % (
            label, num(lo, lt, "%d", 14), num(do, dt, "%d", 14), rat(lo, do),
            num(lms, "-", "%.1f", 9), num(dms, "-", "%.1f", 9), rat(lms, dms),
            num(lx, "-", "%.1f", 9), num(dx, "-", "%.1f", 9)))
    for name in res["servers"]:
        q, f = rows.get((name, "qresync")), rows.get((name, "full"))
        if isinstance(q, list) and isinstance(f, list):
            print("%s: QRESYNC octets / full-resync octets = %d / %d = %.4f (%.2f %%)" % (
                name, octets(q), octets(f), octets(q) / octets(f), 100 * octets(q) / octets(f)))
        else:
            print("%s: QRESYNC octets / full-resync octets: %s" % (
                name, "not supported" if q == "not supported" else "WRONG ANSWER" if "wrong" in (q, f) else "-"))

    for name in res["servers"]:
        c, p = rows.get((name, "list50")), rows.get((name, "list50-partial"))
        if isinstance(c, list) and isinstance(p, list):
            print("%s: newest 50 with PARTIAL + PREVIEW / the classic way = %d / %d octets = %.1f %%" % (
                name, octets(p), octets(c), 100 * octets(p) / octets(c)))
        for base in ("qresync+env", "full+env"):
            p, d = rows.get((name, base)), rows.get((name, base + "+deflate"))
            if isinstance(p, list) and isinstance(d, list):
                print("%s: %s with COMPRESS=DEFLATE / without = %d / %d octets = %.1f %% (issue 15 aim: <= 30 %%)" % (
                    name, base, octets(d), octets(p), 100 * octets(d) / octets(p)))

    print("\nPer command: octets sent/received (first run), median ms (the greeting's: from connect):")
    for name in res["servers"]:
        for variant, _, label in VARIANTS:
            r = rows.get((name, variant))
            if isinstance(r, list):
                varied = {x["sent"] + x["received"] for x in r}
                cmds = ["%s %d/%d %.1f" % (c[0], c[1], c[2], med([x["per_command"][i][3] for x in r]))
                        for i, c in enumerate(r[0]["per_command"])]
                print("  %-8s %-18s %s%s" % (name, variant, ", ".join(cmds),
                                            "" if len(varied) == 1 else " (octets varied over runs: %d..%d)" % (
                                                min(varied), max(varied))))
    if os.environ.get("BENCH_RESYNC_EXCERPTS", "1") != "0":
        print("\nExchanges, first run (long responses cut):")
        for (name, variant), text in sorted(res["excerpts"].items()):
            if variant in ("qresync", "condstore-search", "full"):
                print("--- %s %s\n%s" % (name, variant, text))
    for e in res["errors"]:
        print("\nWRONG ANSWER: " + e)
    print("\n(resync workload took %.1f min)" % (res["elapsed"] / 60))
    return not res["errors"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", default=os.path.join(ROOT, "build-bench", "lemonade"))
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", "3")))
    add_options(ap)
    args = ap.parse_args()
    if not report(args, run(args)):
        sys.exit(1)


if __name__ == "__main__":
    main()
