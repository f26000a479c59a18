#!/usr/bin/env python3
"""A randomized model test of quick resynchronisation (RFC 7162 §3.2).

Writer sessions make random changes to INBOX (APPEND, STORE +/-FLAGS and
FLAGS with keywords, UID STORE UNCHANGEDSINCE, EXPUNGE, UID EXPUNGE, UID
MOVE out). One more client, the syncer, keeps a cached model of INBOX
(UID -> flags, HIGHESTMODSEQ) the way a phone does: it disconnects, and
comes back with ENABLE QRESYNC + SELECT INBOX (QRESYNC (uidvalidity modseq
[known-uids [seq-match-data]])), applying VANISHED (EARLIER) and FETCH to
its cache; it also stays selected (NOOP or IDLE) while the writers work,
applying unsolicited VANISHED and FETCH (UID FLAGS MODSEQ). After every
resync its view must equal the truth read by a fresh connection (UID FETCH
1:* (FLAGS) and HIGHESTMODSEQ).

Resync variants: known-uids exact, known-uids as 1:max, with seq-match-data,
without known-uids, modseq 1, modseq 0 (not a valid mod-sequence-value: BAD
or a full report are both accepted), a stale UIDVALIDITY, EXAMINE instead
of SELECT, a re-SELECT on the same connection (expects [CLOSED]) and a plain
SELECT + UID FETCH (CHANGEDSINCE m VANISHED). Sometimes the writers keep
working during the resync; sometimes the server restarts (SIGTERM or
kill -9) while the syncer is away, and HIGHESTMODSEQ and the expunge log
must survive that. Conditional stores (UNCHANGEDSINCE) must answer
[MODIFIED] when stale.

Fixed seed by default (printed); --seed, --rounds. --dovecot runs the same
test against a throwaway Dovecot (Debian dovecot-imapd) instead, to check
the test itself.
"""

import argparse
import os
import random
import re
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from dovecot_server import Dovecot  # noqa: E402
from lemonade_server import LemonadeServer  # noqa: E402

USER, PASSWORD = "phone", "qresync pw"
WRITERS = 3
KEYWORDS = ["\\Seen", "\\Flagged", "\\Answered", "\\Draft", "\\Deleted", "$Label1", "Work", "todo"]
VARIANTS = ["known", "known", "known-range", "seqmatch", "seqmatch", "no-known", "no-known",
            "modseq1", "modseq0", "stale-uidvalidity", "examine", "reselect", "fetch-vanished"]


class Failure(AssertionError):
    pass


# ---------------------------------------------------------------- parsing

def parse_set(text):
    """A sequence-set of numbers ("1:3,5") as a Python set; "*" is refused."""
    out = set()
    for part in text.split(","):
        if ":" in part:
            a, b = part.split(":")
            a, b = int(a), int(b)
            out.update(range(min(a, b), max(a, b) + 1))
        else:
            out.add(int(part))
    return out


def format_set(numbers):
    """Sorted numbers as a compact sequence-set ("1:3,5")."""
    nums = sorted(numbers)
    parts, i = [], 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(str(nums[i]) if i == j else "%d:%d" % (nums[i], nums[j]))
        i = j + 1
    return ",".join(parts)


class Literal(bytes):
    """A string that came as a literal or a quoted string (not an atom)."""


def tokenize(data):
    """One response (literals already inlined as (offset, bytes) pairs) into
    nested lists: atoms are str, strings are Literal, lists are list."""
    text, literals = data
    pos = 0
    stack = [[]]
    lit_iter = iter(literals)
    while pos < len(text):
        c = text[pos:pos + 1]
        if c == b" ":
            pos += 1
        elif c == b"(":
            stack.append([])
            pos += 1
        elif c == b")":
            if len(stack) < 2:
                raise Failure("unbalanced ')' in %r" % text)
            done = stack.pop()
            stack[-1].append(done)
            pos += 1
        elif c == b'"':
            out = bytearray()
            pos += 1
            while text[pos:pos + 1] != b'"':
                if text[pos:pos + 1] == b"\\":
                    pos += 1
                out += text[pos:pos + 1]
                pos += 1
            stack[-1].append(Literal(bytes(out)))
            pos += 1
        elif c == b"{" or text[pos:pos + 2] == b"~{":
            end = text.index(b"}", pos)
            pos = end + 1
            stack[-1].append(Literal(next(lit_iter)))
        else:
            start = pos
            depth = 0
            while pos < len(text):
                ch = text[pos:pos + 1]
                if ch == b"[":
                    depth += 1
                elif ch == b"]":
                    depth -= 1
                elif depth == 0 and ch in (b" ", b"(", b")"):
                    break
                pos += 1
            stack[-1].append(text[start:pos].decode())
    if len(stack) != 1:
        raise Failure("unbalanced '(' in %r" % text)
    return stack[0]


RESP_CODE = re.compile(rb"^(?:\*|[A-Za-z0-9.]+) (?:OK|NO|BAD|BYE|PREAUTH) \[([^\]]*)\]", re.I)


class Response:
    """One server response: raw text (literal bodies replaced by {n}),
    literal bodies, and handy views of it."""

    def __init__(self, text, literals):
        self.text = text
        self.literals = literals
        self._tokens = None

    @property
    def tokens(self):
        if self._tokens is None:
            self._tokens = tokenize((self.text, self.literals))
        return self._tokens

    def code(self):
        """The resp-text-code of an OK/NO/BAD/BYE as (NAME, rest) or None."""
        m = RESP_CODE.match(self.text)
        if not m:
            return None
        parts = m.group(1).decode().split(None, 1)
        return parts[0].upper(), parts[1] if len(parts) > 1 else ""

    def show(self):
        return self.text.decode(errors="replace")


def fetch_items(tokens):
    """`* n FETCH (k v k v ...)` tokens -> (n, {KEY: value})."""
    seq = int(tokens[1])
    items = tokens[3]
    out = {}
    for i in range(0, len(items) - 1, 2):
        out[str(items[i]).upper()] = items[i + 1]
    return seq, out


def word(tokens, i):
    """tokens[i] upper-cased when it is an atom, else ""."""
    return tokens[i].upper() if len(tokens) > i and isinstance(tokens[i], str) else ""


def norm_flags(flags):
    return frozenset(f for f in (str(x) if not isinstance(x, bytes) else x.decode() for x in flags)
                     if f.lower() != "\\recent")


# ---------------------------------------------------------------- connection

class Conn:
    """A raw IMAP connection with its own buffered reader and a transcript
    (C: / S: lines) kept for failure reports."""

    def __init__(self, port, name, log_limit=4000):
        self.name = name
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""
        self.n = 0
        self.log = []
        self.log_limit = log_limit
        self.track = None
        greeting = self.read_response()
        if not greeting.text.startswith(b"* OK"):
            raise Failure("%s: greeting %r" % (name, greeting.text))

    def note(self, line):
        self.log.append(line)
        if len(self.log) > self.log_limit:
            del self.log[:len(self.log) - self.log_limit]

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _fill(self, deadline):
        if deadline is not None:
            left = deadline - time.time()
            if left <= 0:
                raise socket.timeout()
            self.sock.settimeout(left)
        else:
            self.sock.settimeout(30)
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Failure("%s: connection closed by the server" % self.name)
        self.buf += chunk

    def _line(self, deadline):
        while b"\r\n" not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def read_response(self, deadline=None):
        """One whole response, literals included; None on timeout (only when
        a deadline is given and nothing of the response has arrived)."""
        try:
            line = self._line(deadline)
        except socket.timeout:
            return None
        text, literals = line, []
        while True:
            m = re.search(rb"~?\{(\d+)\+?\}$", line)
            if not m:
                break
            size = int(m.group(1))
            while len(self.buf) < size:
                self._fill(None)
            literals.append(self.buf[:size])
            self.buf = self.buf[size:]
            line = self._line(None)
            text += line
        r = Response(text, literals)
        self.note("S: " + r.show()[:400])
        return r

    def send_line(self, data):
        self.note("C: " + data.decode(errors="replace")[:400])
        self.sock.sendall(data + b"\r\n")

    def command(self, text, literal=None, on_untagged=None):
        """Send one command, hand every untagged response to on_untagged,
        return (status, tagged Response, [untagged Responses])."""
        self.n += 1
        tag = "%s%d" % (self.name[:1], self.n)
        line = ("%s %s" % (tag, text)).encode()
        if literal is not None:
            self.send_line(line + b" {%d}" % len(literal))
            while True:
                r = self.read_response()
                if r.text.startswith(b"+"):
                    break
                if r.text.startswith(tag.encode() + b" "):
                    return r.text.split(b" ")[1].decode().upper(), r, []
                if on_untagged:
                    on_untagged(r)
            self.note("C: <literal %d octets>" % len(literal))
            self.sock.sendall(literal + b"\r\n")
        else:
            self.send_line(line)
        untagged = []
        while True:
            r = self.read_response()
            if r.text.startswith(tag.encode() + b" "):
                status = r.text.split(b" ")[1].decode().upper()
                return status, r, untagged
            if r.text.startswith(b"+"):
                raise Failure("%s: unexpected continuation %r" % (self.name, r.text))
            untagged.append(r)
            if self.track is not None:
                m = re.match(rb"\* (\d+) (EXISTS|EXPUNGE)$", r.text, re.I)
                if m:
                    n = int(m.group(1))
                    self.track.exists = n if m.group(2).upper() == b"EXISTS" else self.track.exists - 1
            if on_untagged:
                on_untagged(r)

    def ok(self, text, literal=None, on_untagged=None):
        status, tagged, untagged = self.command(text, literal, on_untagged)
        if status != "OK":
            raise Failure("%s: %s -> %s" % (self.name, text, tagged.show()))
        return tagged, untagged

    def login(self):
        self.ok('LOGIN %s "%s"' % (USER, PASSWORD))

    def tail(self, n=200):
        return "\n".join("    " + l for l in self.log[-n:])


# ---------------------------------------------------------------- truth

def truth(port):
    """The server's state of INBOX read by a fresh connection:
    (uidvalidity, highestmodseq, {uid: flags})."""
    c = Conn(port, "truth")
    try:
        c.login()
        c.ok("ENABLE CONDSTORE")
        tagged, untagged = c.ok("EXAMINE INBOX")
        uidvalidity = hms = None
        exists = 0
        for r in untagged:
            code = r.code()
            if code and code[0] == "UIDVALIDITY":
                uidvalidity = int(code[1])
            if code and code[0] == "HIGHESTMODSEQ":
                hms = int(code[1])
            m = re.match(rb"\* (\d+) EXISTS", r.text)
            if m:
                exists = int(m.group(1))
        flags = {}
        if exists:
            _, untagged = c.ok("UID FETCH 1:* (FLAGS)")
            for r in untagged:
                t = r.tokens
                if word(t, 2) == "FETCH":
                    _, items = fetch_items(t)
                    flags[int(items["UID"])] = norm_flags(items["FLAGS"])
        if len(flags) != exists:
            raise Failure("truth: EXISTS %d but UID FETCH 1:* gave %d messages" % (exists, len(flags)))
        c.ok("LOGOUT")
        return uidvalidity, hms, flags
    finally:
        c.close()


# ---------------------------------------------------------------- writers

class Writer:
    def __init__(self, port, idx):
        self.idx = idx
        self.c = Conn(port, "w%d" % idx, log_limit=600)
        self.c.login()
        self.condstore = idx == 0
        if self.condstore:
            self.c.ok("ENABLE CONDSTORE")
        self.exists = 0
        self.c.track = self
        self.c.ok("SELECT INBOX")
        self.uids = []
        self.n_ops = 0

    def refresh(self):
        _, untagged = self.c.ok("UID SEARCH ALL")
        for r in untagged:
            if r.text.startswith(b"* SEARCH"):
                self.uids = [int(x) for x in r.text.split()[2:] if x.isdigit()]

    def pick(self, rng, k=1):
        if not self.uids:
            return []
        return rng.sample(self.uids, min(k, len(self.uids)))

    def still_there(self, uid):
        """Whether UID is still in the mailbox (an expunge by another
        writer may have raced a conditional store: it then changes nothing,
        MODIFIED or not)."""
        self.c.ok("NOOP")
        _, untagged = self.c.ok("UID SEARCH UID %d" % uid)
        return any(r.text.startswith(b"* SEARCH") and str(uid).encode() in r.text.split()[2:] for r in untagged)

    def try_(self, text):
        """A change that may race another writer's expunge: OK or NO (e.g.
        NO [EXPUNGEISSUED]) are both fine, BAD is not."""
        status, tagged, untagged = self.c.command(text)
        if status not in ("OK", "NO"):
            raise Failure("%s: %s -> %s" % (self.c.name, text, tagged.show()))
        return status, tagged, untagged

    def op(self, rng):
        if self.n_ops % 4 == 0:
            self.refresh()
        self.n_ops += 1
        r = rng.random()
        c = self.c
        if r < 0.36 or len(self.uids) < 3:
            flags = rng.sample(KEYWORDS[:4] + KEYWORDS[5:], rng.randint(0, 2))
            body = b"From: w%d@example.com\r\nSubject: model %d/%d\r\n\r\nbody\r\n" % (
                self.idx, self.idx, rng.randint(0, 1 << 30))
            c.ok("APPEND INBOX (%s)" % " ".join(flags), body)
        elif r < 0.68:
            uids = self.pick(rng, rng.randint(1, 3))
            kind = rng.choice(["+FLAGS", "-FLAGS", "FLAGS", "+FLAGS.SILENT", "-FLAGS.SILENT"])
            flags = rng.sample(KEYWORDS[:4] + KEYWORDS[5:], rng.randint(1, 3))
            self.try_("UID STORE %s %s (%s)" % (format_set(uids), kind, " ".join(flags)))
        elif r < 0.72:
            # STORE by sequence number, the way older clients do; the
            # session's own numbering stays valid until it is told of
            # expunges (RFC 3501 §7.4.1).
            if self.exists:
                self.try_("STORE 1:%d +FLAGS (%s)" % (min(2, self.exists), rng.choice(KEYWORDS[5:])))
        elif r < 0.77 and self.condstore:
            uid = self.pick(rng)[0]
            _, _, untagged = c.command("UID FETCH %d (MODSEQ)" % uid)
            mod = None
            for resp in untagged:
                m = re.search(rb"UID %d\b.*MODSEQ \((\d+)\)|MODSEQ \((\d+)\).*UID %d\b" % (uid, uid), resp.text)
                if m:
                    mod = int(m.group(1) or m.group(2))
            if mod is not None:
                # Sometimes stale on purpose: then the store must fail with
                # [MODIFIED uid] and change nothing (RFC 7162 §3.1.3).
                stale = rng.random() < 0.3
                since = mod - 1 if stale else mod
                _, tagged, untagged = self.try_("UID STORE %d (UNCHANGEDSINCE %d) +FLAGS (%s)"
                                                % (uid, since, rng.choice(KEYWORDS[5:])))
                code = tagged.code()
                if stale and not (code and code[0] == "MODIFIED" and uid in parse_set(code[1])) \
                        and self.still_there(uid):
                    raise Failure("RFC 7162 §3.1.3: UID STORE %d (UNCHANGEDSINCE %d) of a message whose "
                                  "MODSEQ is %d must answer OK [MODIFIED %d]; got %r"
                                  % (uid, since, mod, uid, tagged.show()))
        elif r < 0.86:
            uids = self.pick(rng, rng.randint(1, 2))
            self.try_("UID STORE %s +FLAGS.SILENT (\\Deleted)" % format_set(uids))
            self.try_("EXPUNGE")
        elif r < 0.94:
            uids = self.pick(rng, rng.randint(1, 2))
            self.try_("UID STORE %s +FLAGS.SILENT (\\Deleted)" % format_set(uids))
            self.try_("UID EXPUNGE %s" % format_set(uids))
        else:
            uids = self.pick(rng, rng.randint(1, 2))
            self.try_("UID MOVE %s Other" % format_set(uids))

    def burst(self, rng, ops, errors):
        try:
            for _ in range(ops):
                self.op(rng)
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            errors.append("writer %d: %s\n  last exchange:\n%s" % (self.idx, e, self.c.tail(30)))


class Writers:
    def __init__(self, port):
        self.ws = [Writer(port, i) for i in range(WRITERS)]
        self.threads = []
        self.errors = []

    def start(self, rng, ops):
        seeds = [rng.randrange(1 << 30) for _ in self.ws]
        self.threads = [threading.Thread(target=w.burst, args=(random.Random(s), ops, self.errors))
                        for w, s in zip(self.ws, seeds)]
        for t in self.threads:
            t.start()

    def busy(self):
        return any(t.is_alive() for t in self.threads)

    def join(self):
        for t in self.threads:
            t.join(timeout=60)
            if t.is_alive():
                raise Failure("a writer hung")
        self.threads = []
        if self.errors:
            raise Failure("\n".join(self.errors))

    def run(self, rng, ops):
        self.start(rng, ops)
        self.join()

    def close(self):
        for w in self.ws:
            w.c.close()


# ---------------------------------------------------------------- the syncer

class Syncer:
    """The client under test: a cache of INBOX and the code that keeps it."""

    def __init__(self, server):
        self.server = server
        self.c = None
        self.uidvalidity = None
        self.cached_modseq = None    # what the next QRESYNC will send
        self.flags = {}              # uid -> frozenset
        self.exists = 0
        self.caught = 0              # UIDs up to here have been fetched
        self.selected = None
        self.max_fetch_modseq = 0
        self.code_modseq = None
        self.problems = []
        self.stats = {}
        self.quiet = True            # no writer running: nothing live may come

    # -- applying responses ------------------------------------------------
    def apply(self, r, context):
        """Apply one untagged response to the cache; `context` says where it
        came from ("select", "noop", "idle", "fetch", ...)."""
        code = r.code()
        if code:
            name, rest = code
            if name == "HIGHESTMODSEQ" and self.selected == "INBOX":
                self.code_modseq = int(rest)
            if name == "CLOSED":
                self.selected = self.pending_select
            return
        if self.selected != "INBOX":
            return
        t = r.tokens
        if word(t, 2) == "EXISTS":
            self.exists = int(t[1])
        elif word(t, 2) == "EXPUNGE":
            self.problems.append("RFC 7162 §3.2.10: after ENABLE QRESYNC the server MUST send VANISHED, "
                                 "not EXPUNGE; got %r during %s" % (r.show(), context))
            self.exists -= 1
        elif word(t, 1) == "VANISHED":
            earlier = isinstance(t[2], list)
            if earlier and [str(x).upper() for x in t[2]] != ["EARLIER"]:
                raise Failure("bad VANISHED tag: %r" % r.show())
            uids = parse_set(t[3] if earlier else t[2])
            if earlier and context not in ("select", "fetch-vanished"):
                self.problems.append("RFC 7162 §3.2.10: VANISHED (EARLIER) outside SELECT (QRESYNC) / "
                                     "UID FETCH (VANISHED) (during %s): %r; the client does not "
                                     "decrement EXISTS for it" % (context, r.show()))
            if not earlier:
                self.exists -= len(uids)
                if context == "select" and self.quiet:
                    self.problems.append("RFC 7162 §3.2.5.1: expunges before the client's modseq are "
                                         "reported as VANISHED (EARLIER) in SELECT; got %r" % r.show())
            for u in uids:
                self.flags.pop(u, None)
            self.vanished_seen |= uids
            if earlier:
                self.earlier_seen |= uids
            key = "VANISHED (EARLIER) UIDs" if earlier else "unsolicited VANISHED UIDs"
            self.stats[key] = self.stats.get(key, 0) + len(uids)
        elif word(t, 2) == "FETCH":
            _, items = fetch_items(t)
            if "UID" not in items:
                self.problems.append("RFC 7162 §3.2.4: with QRESYNC enabled every untagged FETCH carries "
                                     "the UID; got %r during %s" % (r.show(), context))
                return
            uid = int(items["UID"])
            key = {"select": "FETCH in SELECT (QRESYNC)", "noop": "unsolicited FETCH", "idle": "unsolicited FETCH",
                   "fetch-vanished": "FETCH (CHANGEDSINCE)"}.get(context, "FETCH of the client's own")
            self.stats[key] = self.stats.get(key, 0) + 1
            if "FLAGS" in items:
                self.flags[uid] = norm_flags(items["FLAGS"])
                if "MODSEQ" not in items:
                    self.problems.append("RFC 7162 §3.1.4.2/§3.2.4: a FETCH with FLAGS to a CONDSTORE-enabled "
                                         "client carries MODSEQ; got %r during %s" % (r.show(), context))
            if "MODSEQ" in items:
                mod = int(items["MODSEQ"][0])
                if context in ("noop", "idle"):
                    self.max_fetch_modseq = max(self.max_fetch_modseq, mod)
            self.fetched_uids.add(uid)

    # -- connecting ---------------------------------------------------------
    def connect(self):
        self.c = Conn(self.server.imap_port, "sync", log_limit=3000)
        self.c.login()
        _, untagged = self.c.ok("ENABLE QRESYNC")
        if not any(re.match(rb"\* ENABLED .*\bQRESYNC\b", r.text, re.I) for r in untagged):
            raise Failure("RFC 7162 §3.2.3: ENABLE QRESYNC must answer * ENABLED QRESYNC:\n" + self.c.tail(10))
        self.selected = None

    def select(self, args, examine=False):
        """SELECT/EXAMINE INBOX with optional QRESYNC args; returns status."""
        self.vanished_seen, self.fetched_uids, self.earlier_seen = set(), set(), set()
        self.pending_select = "INBOX"
        had = self.selected
        if self.selected is None:
            self.selected = "INBOX"
        else:
            self.selected = "(old)"  # until [CLOSED]
        self.exists = 0
        self.code_modseq = None
        verb = "EXAMINE" if examine else "SELECT"
        cmd = "%s INBOX" % verb + (" (QRESYNC (%s))" % args if args else "")
        status, tagged, untagged = self.c.command(cmd, on_untagged=lambda r: self.apply(r, "select"))
        if self.selected == "(old)":
            self.problems.append("RFC 7162 §3.2.11: SELECT while %s was selected must send * OK [CLOSED] "
                                 "before the new mailbox's responses; none came" % had)
            self.selected = "INBOX"
        uidvalidity = None
        for r in untagged:
            code = r.code()
            if code and code[0] == "UIDVALIDITY":
                uidvalidity = int(code[1])
        return status, tagged, untagged, uidvalidity

    def catch_up(self, literals=False):
        """UID FETCH the messages above the ones already fetched."""
        # RFC822.SIZE marks the FETCH responses that answer this command:
        # unsolicited ones (flag changes by others) never carry it.
        items = "FLAGS MODSEQ RFC822.SIZE" + (" BODY.PEEK[HEADER.FIELDS (SUBJECT)]" if literals else "")
        if self.exists == 0:
            return
        _, _, untagged = self.c.command("UID FETCH %d:* (%s)" % (self.caught + 1, items),
                                        on_untagged=lambda r: self.apply(r, "fetch"))
        bodies = 0
        for r in untagged:
            t = r.tokens
            if word(t, 2) == "FETCH":
                _, it = fetch_items(t)
                if "RFC822.SIZE" not in it:
                    continue
                for k, v in it.items():
                    if k.startswith("BODY["):
                        if not v.lower().startswith(b"subject: model") and not v.lower().startswith(b"subject: seed"):
                            raise Failure("BODY[HEADER.FIELDS (SUBJECT)] came as %r in %r" % (v, r.show()))
                        bodies += 1
                self.caught = max(self.caught, int(it["UID"]))
        # Unsolicited FETCH (FLAGS) may come in between; the last message at least is ours.
        if literals and not bodies:
            raise Failure("UID FETCH n:* (... BODY.PEEK[HEADER.FIELDS (SUBJECT)]) returned no BODY:\n"
                          + self.c.tail(20))

    def full_sync(self):
        self.flags = {}
        self.caught = 0
        self.catch_up()

    def knowledge_modseq(self):
        vals = [v for v in (self.code_modseq, self.max_fetch_modseq) if v]
        return max(vals) if vals else None


# ---------------------------------------------------------------- the test

class Model:
    def __init__(self, server, seed, rounds, ops, verbose):
        self.server = server
        self.highest_seen = 0
        self.seed = seed
        self.rng = random.Random(seed)
        self.plan = random.Random(seed + 1)  # variants and timing: the same for every server
        self.rounds = rounds
        self.ops = ops
        self.verbose = verbose
        self.s = Syncer(server)
        self.stats = {}
        self.restarts = {}

    def fail(self, what, detail=""):
        msg = ["seed %d round %d variant %s%s: %s" % (self.seed, self.round, self.variant,
                                                       " (writers racing the resync)" if not self.s.quiet else "",
                                                       what)]
        if detail:
            msg.append(detail)
        if self.s.c:
            msg.append("  syncer's exchange on this connection (last lines):\n" + self.s.c.tail(120))
        raise Failure("\n".join(msg))

    def truth(self):
        t = truth(self.server.imap_port)
        # RFC 7162 §3.1.2.1 / §3.2: HIGHESTMODSEQ never goes down, restarts
        # included, or a cache from before would be taken as current.
        if t[1] is None or t[1] < self.highest_seen:
            self.fail("HIGHESTMODSEQ went down from %d to %s" % (self.highest_seen, t[1]))
        self.highest_seen = t[1]
        return t

    def compare(self, stage, truth_state, restrict=None, check_hms=True, hms=None):
        uidvalidity, t_hms, t_flags = truth_state
        model = self.s.flags
        if restrict is not None:
            model = {u: f for u, f in model.items() if u in restrict}
            t_flags = {u: f for u, f in t_flags.items() if u in restrict}
        if model != t_flags:
            lines = []
            for u in sorted(set(model) | set(t_flags)):
                a, b = model.get(u), t_flags.get(u)
                if a != b:
                    lines.append("    UID %d: client %s, server %s" % (
                        u, "absent" if a is None else "(%s)" % " ".join(sorted(a)),
                        "absent" if b is None else "(%s)" % " ".join(sorted(b))))
            self.fail("%s: the client's view differs from the server's (UID FETCH 1:* (FLAGS) "
                      "on a fresh connection)" % stage, "\n".join(lines[:25]) +
                      ("\n    ... %d more" % (len(lines) - 25) if len(lines) > 25 else ""))
        if restrict is None and self.s.exists != len(self.s.flags):
            self.fail("%s: EXISTS as the client tracked it is %d, but it knows %d messages"
                      % (stage, self.s.exists, len(self.s.flags)))
        if check_hms and hms != t_hms:
            self.fail("%s: HIGHESTMODSEQ %s at the client, %s on the server (RFC 7162 §3.1.2.1)"
                      % (stage, hms, t_hms))

    def qresync_args(self, variant):
        s = self.s
        uids = sorted(s.flags)
        known = format_set(uids) if uids else ""
        modseq = s.cached_modseq
        if variant == "known" or variant == "examine" or variant == "reselect":
            return "%d %d%s" % (s.uidvalidity, modseq, " " + known if known else "")
        if variant == "known-range":
            return "%d %d%s" % (s.uidvalidity, modseq, " 1:%d" % uids[-1] if uids else "")
        if variant == "seqmatch":
            if not uids:
                return "%d %d" % (s.uidvalidity, modseq)
            picks = sorted(self.rng.sample(range(len(uids)), min(len(uids), self.rng.randint(1, 4))))
            seqs = format_set([i + 1 for i in picks])
            us = ",".join(str(uids[i]) for i in picks)
            return "%d %d %s (%s %s)" % (s.uidvalidity, modseq, known, seqs, us)
        if variant == "no-known":
            return "%d %d" % (s.uidvalidity, modseq)
        if variant == "modseq1":
            return "%d 1%s" % (s.uidvalidity, " " + known if known and self.rng.random() < 0.5 else "")
        if variant == "modseq0":
            return "%d 0" % s.uidvalidity
        if variant == "stale-uidvalidity":
            return "%d %d%s" % (s.uidvalidity + 7, modseq, " " + known if known else "")
        raise ValueError(variant)

    def resync(self, variant, quiet):
        """Reconnect (or re-SELECT) and bring the cache up to date; with
        `quiet` (no writer running) check it strictly against the truth."""
        s = self.s
        s.quiet = quiet
        first = s.uidvalidity is None
        if variant == "reselect" and s.c is not None and not first:
            # Same connection: SELECT another mailbox now, INBOX again below.
            s.pending_select = "Other"
            s.selected = "(old)"
            status, tagged, _ = s.c.command("SELECT Other", on_untagged=lambda r: s.apply(r, "select-other"))
            if status != "OK":
                self.fail("SELECT Other: " + tagged.show())
            if s.selected == "(old)":
                s.problems.append("RFC 7162 §3.2.11: SELECT Other while INBOX was selected must send "
                                  "* OK [CLOSED]; none came")
            s.selected = "Other"
        else:
            if s.c is not None:
                s.c.close()
            s.connect()
        if first:
            status, tagged, _, uidvalidity = s.select(None)
            if status != "OK":
                self.fail("SELECT INBOX: " + tagged.show())
            s.uidvalidity = uidvalidity
            s.full_sync()
            return
        if variant == "fetch-vanished":
            # RFC 7162 §3.2.6: plain SELECT, then UID FETCH (CHANGEDSINCE m VANISHED).
            status, tagged, _, uidvalidity = s.select(None)
            if status != "OK" or uidvalidity != s.uidvalidity:
                self.fail("SELECT INBOX: %s (uidvalidity %s)" % (tagged.show(), uidvalidity))
            s.vanished_seen, s.fetched_uids, s.earlier_seen = set(), set(), set()
            if s.flags:
                top = max(s.flags)
                status, tagged, _ = s.c.command("UID FETCH 1:%d (FLAGS) (CHANGEDSINCE %d VANISHED)"
                                                % (top, s.cached_modseq),
                                                on_untagged=lambda r: s.apply(r, "fetch-vanished"))
                if status != "OK":
                    self.fail("UID FETCH (CHANGEDSINCE VANISHED): " + tagged.show())
                s.caught = max(s.caught, top)
            if quiet:
                t = self.truth()
                self.compare("after UID FETCH (CHANGEDSINCE VANISHED), for the UIDs it knew",
                             t, restrict=set(range(1, max(s.flags, default=0) + 1)), check_hms=False)
            s.catch_up()
            self.finish_resync(quiet)
            return
        args = self.qresync_args(variant)
        status, tagged, untagged, uidvalidity = s.select(args, examine=(variant == "examine"))
        if variant == "modseq0":
            self.stats["modseq0 answered " + status] = self.stats.get("modseq0 answered " + status, 0) + 1
        if variant == "modseq0" and status == "BAD":
            # mod-sequence-value is 1*DIGIT with 1 <= n (RFC 7162 §7): a BAD
            # is right, and leaves no mailbox selected. Start over.
            s.selected = None
            status, tagged, _, uidvalidity = s.select(None)
            if status != "OK":
                self.fail("SELECT INBOX: " + tagged.show())
            s.uidvalidity = uidvalidity
            s.full_sync()
            self.finish_resync(quiet)
            return
        if status != "OK":
            self.fail("SELECT (QRESYNC) answered %s" % tagged.show())
        if uidvalidity is None:
            self.fail("no UIDVALIDITY in SELECT (RFC 3501 §6.3.1)")
        if s.code_modseq is None:
            self.fail("no HIGHESTMODSEQ in SELECT with QRESYNC (RFC 7162 §3.1.2.1)")
        if variant == "stale-uidvalidity":
            # Raced by writers, live VANISHED / FETCH may follow the snapshot;
            # VANISHED (EARLIER) never may.
            if s.earlier_seen or (quiet and (s.vanished_seen or s.fetched_uids)):
                self.fail("RFC 7162 §3.2.5: with a UIDVALIDITY that does not match, the server MUST "
                          "ignore the remaining parameters and behave as if no dynamic message data "
                          "changed; it sent VANISHED for %s / FETCH for %s"
                          % (format_set(s.vanished_seen) or "-", format_set(s.fetched_uids) or "-"))
        sent_uidvalidity = int(args.split()[0])
        if uidvalidity != sent_uidvalidity:
            # The cache is of another incarnation of the mailbox: drop it.
            if variant != "stale-uidvalidity":
                self.fail("UIDVALIDITY changed from %d to %d" % (s.uidvalidity, uidvalidity))
            s.uidvalidity = uidvalidity
            s.full_sync()
            self.finish_resync(quiet)
            return
        if variant == "stale-uidvalidity":
            self.fail("SELECT answered UIDVALIDITY %d, the stale value the client sent" % uidvalidity)
        if quiet:
            known_set = None
            parts = args.split(" ")
            if len(parts) >= 3:
                known_set = parse_set(parts[2])
            t = self.truth()
            if known_set is None:
                # §3.2.5.1: no known-uids = 1:<UIDNEXT-1>: every change since
                # the modseq, new messages included, must be reported.
                self.compare("right after SELECT (QRESYNC (%s)), before any FETCH of the client's own"
                             % args, t, check_hms=False)
            else:
                self.compare("right after SELECT (QRESYNC (%s)), for the known UIDs" % args, t,
                             restrict=known_set, check_hms=False)
            # And nothing may be reported twice or wrongly.
            bad = [u for u in s.vanished_seen if u in t[2]]
            if bad:
                self.fail("VANISHED (EARLIER) named UIDs that still exist: %s" % format_set(bad))
        # New messages reported here do not move `caught`: with known-uids a
        # server reports changes to those only (§3.2.5.1), so the client
        # fetches everything above the UIDs it knew.
        if self.rng.random() < 0.5:
            s.catch_up(literals=self.rng.random() < 0.5)
        else:
            s.catch_up()
        self.finish_resync(quiet)

    def finish_resync(self, quiet):
        s = self.s
        if s.problems:
            self.fail("\n".join(s.problems))
        if quiet:
            t = self.truth()
            self.compare("after resync", t, hms=s.code_modseq)
        s.max_fetch_modseq = 0

    def stay_selected(self, writers):
        """Stay selected while the writers work, following their changes."""
        s = self.s
        use_idle = self.plan.random() < 0.5
        writers.start(self.rng, self.ops)
        while writers.busy():
            if use_idle:
                self.idle(0.3)
            else:
                s.c.command("NOOP", on_untagged=lambda r: s.apply(r, "noop"))
                time.sleep(0.02)
            if self.rng.random() < 0.3:
                s.catch_up()
        writers.join()
        for _ in range(2):
            s.c.command("NOOP", on_untagged=lambda r: s.apply(r, "noop"))
            s.catch_up()
        if s.problems:
            self.fail("\n".join(s.problems))
        t = self.truth()
        self.compare("after staying selected through others' changes", t, check_hms=False)
        known = s.knowledge_modseq()
        if known is None or known > t[1]:
            self.fail("HIGHESTMODSEQ known to the client (%s) above the server's (%s)" % (known, t[1]))

    def idle(self, seconds):
        s = self.s
        s.c.n += 1
        tag = "i%d" % s.c.n
        s.c.send_line(("%s IDLE" % tag).encode())
        r = s.c.read_response()
        while not r.text.startswith(b"+"):
            if r.text.startswith(tag.encode()):
                self.fail("IDLE refused: " + r.show())
            s.apply(r, "idle")
            r = s.c.read_response()
        deadline = time.time() + seconds
        while True:
            r = s.c.read_response(deadline)
            if r is None:
                break
            s.apply(r, "idle")
        s.c.send_line(b"DONE")
        while True:
            r = s.c.read_response()
            if r.text.startswith(tag.encode() + b" "):
                if not r.text.startswith(tag.encode() + b" OK"):
                    self.fail("IDLE ended with " + r.show())
                break
            s.apply(r, "idle")

    def leave(self):
        """Disconnect, remembering a modseq to resync from."""
        s = self.s
        policy = self.plan.choice(["code", "max"])
        if policy == "max":
            # RFC 7162 §3.2: the server sends events so that a client using
            # the highest MODSEQ it was told loses nothing.
            s.cached_modseq = s.knowledge_modseq()
        else:
            s.cached_modseq = s.code_modseq
        if self.rng.random() < 0.5:
            s.c.command("LOGOUT")
        s.c.close()
        s.c = None
        s.selected = None

    def run(self):
        writers = Writers(self.server.imap_port)
        w = writers.ws[0]
        w.c.ok("CREATE Other")
        for i in range(20):
            w.c.ok("APPEND INBOX (%s)" % ("\\Seen" if i % 2 else ""), b"Subject: seed %d\r\n\r\nx\r\n" % i)
        self.round, self.variant = 0, "initial"
        self.resync("initial", quiet=True)
        self.finish_resync(True)
        order = []  # every variant once before any comes again
        for self.round in range(1, self.rounds + 1):
            if not order:
                order = list(VARIANTS)
                self.plan.shuffle(order)
            self.variant = order.pop()
            self.stats[self.variant] = self.stats.get(self.variant, 0) + 1
            reselect = self.variant == "reselect"
            if not reselect:
                self.leave()
            writers.run(self.rng, self.ops)            # changes while away
            if not reselect and self.plan.random() < 0.15:
                how = self.plan.choice(self.server.restarts)
                writers.close()
                self.server.restart(how)
                self.restarts[how] = self.restarts.get(how, 0) + 1
                if self.verbose:
                    print("round %d: server restarted (%s)" % (self.round, how), flush=True)
                writers = Writers(self.server.imap_port)
            racing = not reselect and self.plan.random() < 0.25
            if racing:
                writers.start(self.rng, self.ops)       # and during the resync
            if reselect and self.s.cached_modseq is None:
                self.s.cached_modseq = self.s.code_modseq
            if reselect:
                self.s.cached_modseq = self.s.knowledge_modseq()
            self.resync(self.variant, quiet=not racing)
            if racing:
                writers.join()
                self.s.c.command("NOOP", on_untagged=lambda r: self.s.apply(r, "noop"))
                self.s.catch_up()
                t = self.truth()
                self.compare("after a resync raced by writers, then NOOP", t, check_hms=False)
            self.s.quiet = True
            if self.verbose:
                print("round %d %s%s: %d messages, modseq %s" % (self.round, self.variant,
                      " (raced)" if racing else "", len(self.s.flags), self.s.code_modseq), flush=True)
            self.stay_selected(writers)
        self.leave()


class Restartable:
    """The server as the model sees it: its port, and restarts while the
    syncer is away (the expunge log and HIGHESTMODSEQ must survive them)."""

    def __init__(self, srv, restarts):
        self.srv = srv
        self.restarts = restarts

    @property
    def imap_port(self):
        return self.srv.imap_port

    def restart(self, how):
        if how == "kill -9":
            self.srv.kill9()
        else:
            self.srv.stop()
        self.srv.start()


def run_against(server, args):
    print("seed %d, rounds %d" % (args.seed, args.rounds), flush=True)
    m = Model(server, args.seed, args.rounds, args.ops, args.verbose)
    t0 = time.time()
    m.run()
    t = truth(server.imap_port)
    print("variants: %s; restarts: %s" % (", ".join("%s %d" % kv for kv in sorted(m.stats.items())),
                                          ", ".join("%s %d" % kv for kv in sorted(m.restarts.items())) or "none"))
    print("responses applied: %s" % ", ".join("%s %d" % kv for kv in sorted(m.s.stats.items())))
    print("%d messages, HIGHESTMODSEQ %s at the end, %.1f s" % (len(t[2]), t[1], time.time() - t0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", help="the lemonade binary")
    ap.add_argument("--dovecot", action="store_true", help="run against a throwaway Dovecot instead")
    ap.add_argument("--seed", type=int, default=7162)
    ap.add_argument("--rounds", type=int, default=24)
    ap.add_argument("--ops", type=int, default=6, help="changes per writer per burst")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    if args.dovecot:
        with Dovecot({USER: PASSWORD}) as srv:
            run_against(Restartable(srv, ["stop/start"]), args)
    elif args.lemonade:
        with LemonadeServer(args.lemonade, users={USER: PASSWORD}) as srv:
            run_against(Restartable(srv, ["SIGTERM", "kill -9"]), args)
    else:
        ap.error("--lemonade BINARY or --dovecot")
    print("PASS test_qresync_model")


if __name__ == "__main__":
    main()
