#!/usr/bin/env python3
"""Differential test: runs the same scripted IMAP sessions against Lemonade
and a throwaway Dovecot and compares the responses after normalising what
the RFCs leave to the server (tests/differential/README.md lists every
rule and why).

Usage: test_dovecot_diff.py --lemonade BIN [--only NAME ...] [--verbose]

Exit 0: every block of responses agrees (or differs only where listed in
KNOWN_LEMONADE_BUGS / DOVECOT_DEVIATIONS, which are printed loudly);
exit 1: a difference, a listed difference that no longer happens, or an
extension both servers advertise that no script covers.

Script format (tests/differential/scripts/*.txt), one directive a line;
blank lines and lines starting with '#' are ignored:

  !covers CAP ...         capabilities the script exercises; the script is
                          skipped unless both servers advertise all of them
  !message NAME           the lines up to !end, each ended by CRLF, are a
  ...                     literal; files whose name starts with '_' only
  !end                    define messages, shared by every script
  !literal NAME TEXT      a literal of TEXT (UTF-8, no CRLF)
  C: tag command          send on connection 1 (CN: on connection N; a
                          connection is opened and logged in on first use).
                          {%NAME} is a synchronizing literal of message NAME
                          (the runner waits for '+'), {%NAME+} a
                          non-synchronizing one (RFC 7888); ${VAR} is a
                          captured value. The responses up to the tagged
                          one are one block. 'tag IDLE' waits for the '+'
                          and leaves the block open until 'C: DONE'.
  !wait N REGEX           read connection N until a line matches (IDLE,
                          NOTIFY); what is read goes to its open block, or
                          to its next one
  !capture VAR REGEX      VAR := group 1 of REGEX in the last block (per
                          server: UIDVALIDITY, MODSEQ values for QRESYNC)
  !allow REGEX -- WHY     in the next block only, ignore normalised lines
                          matching REGEX on both sides (a difference the
                          RFC allows; WHY quotes it)
  !allow-attr ATTR.. -- WHY  in the next block only, ignore these mailbox
                          attributes in LIST and LSUB responses

Every connection ends with LOGOUT, whose block is compared too (it shows
untagged responses left over).
"""

import argparse
import datetime
import difflib
import os
import re
import select
import shutil
import socket
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402
from dovecot_server import Dovecot  # noqa: E402

PASSWORD = "diff-secret"
READ_TIMEOUT = 10.0
WAIT_TIMEOUT = 10.0

# Blocks where we believe Lemonade is wrong per the RFC text: (script, tag)
# -> why. They are reported as expected failures; once a block agrees
# with Dovecot the test fails until the entry is removed.
KNOWN_LEMONADE_BUGS = {
}

# Blocks where we believe Dovecot is wrong per the RFC text (same
# handling: reported, and the test fails once they agree).
DOVECOT_DEVIATIONS = {
    **{("rfc3516_binary.txt", tag):
       "RFC 3516 §4.3: BINARY.SIZE fails with UNKNOWN-CTE only 'If the server does not know how to "
       "decode the section's CTE'; Dovecot 2.3 answers NO [UNKNOWN-CTE] for quoted-printable, base64 "
       "and 7bit parts alike"
       for tag in ("A003b", "A004b", "A005b")},
    ("rfc4469_catenate.txt", "A015"):
        "RFC 4469 §4.1: BADURL is returned for a URL naming an 'invalid body part'; Dovecot appends an "
        "empty message for a section the message does not have",
    ("rfc3516_binary.txt", "A012"):
        "RFC 3516 §7: section-binary = \"[\" [section-part] \"]\", part numbers only; Dovecot answers "
        "BINARY[1.MIME] with the MIME header instead of BAD",
    "rule:highestmodseq-in-select":
        "RFC 7162 §3.1.2.1: a server with persistent mod-sequences 'MUST send the OK untagged response "
        "including HIGHESTMODSEQ response code with every successful SELECT or EXAMINE command'; "
        "Dovecot sends it only once CONDSTORE is enabled",
    "rule:uid-in-condstore-fetch":
        "RFC 7162 §3.1: 'Once a CONDSTORE enabling command is issued by the client, the server MUST "
        "automatically include both UID and mod-sequence data in all subsequent untagged FETCH "
        "responses ... whether they were caused by a regular STORE/UID STORE ... or an external agent'; "
        "Dovecot leaves UID out",
    ("rfc3501_fetch.txt", "A675b"):
        "RFC 2046 §5.1.1: 'the CRLF preceding the boundary delimiter line is conceptually attached to "
        "the boundary'; Dovecot's BODY[1] of a nested multipart ends with that CRLF",
    ("rfc3501_select.txt", "A934"):
        "RFC 3501 §6.3.2: in a mailbox selected with EXAMINE 'No changes to the permanent state of the "
        "mailbox ... are permitted'; Dovecot answers STORE there with OK (and changes nothing), "
        "where §6.4.6 has NO for 'can't store that data'",
    ("rfc3501_select.txt", "A346"):
        "RFC 3501 §9 date-time: 31-Feb-1994 is not a date; Dovecot appends the message anyway",
    ("rfc3501_search.txt", "j5"):
        "RFC 3501 §9 date: 32-Mar-2000 is not a date; Dovecot answers OK and matches every message",
    ("rfc6851_move.txt", "b7"):
        "RFC 3501 §6.3.2 (EXAMINE: 'No changes to the permanent state of the mailbox ... are "
        "permitted') and RFC 6851 §3.3 (MOVE expunges like EXPUNGE): Dovecot moves a message out "
        "of a mailbox selected read-only",
    ("rfc2342_namespace_rfc2971_id.txt", "a025"):
        "RFC 2971 §4: id_params_list is a list of field/value pairs; Dovecot accepts (\"name\") with "
        "OK where §3.1 has 'BAD - command unknown or arguments invalid'",
    ("rfc2342_namespace_rfc2971_id.txt", "a026"):
        "RFC 2971 §4: 'ID' SPACE id_params_list; Dovecot accepts ID without an argument",
    ("rfc5161_enable.txt", "t4"):
        "RFC 5161 §4: enable ::= \"ENABLE\" 1*(SP capability); Dovecot accepts ENABLE without one",
    ("rfc5465_notify.txt", "c2"):
        "RFC 5465 §5: FlagChange (and AnnotationChange) need MessageNew and MessageExpunge in the same "
        "event group, or the NOTIFY is BAD; Dovecot says OK",
    ("rfc3502_multiappend.txt", "A009b"):
        "RFC 7888 §3 / RFC 3501 §4.3: a non-synchronizing literal is part of the command; when Dovecot "
        "rejects a MULTIAPPEND at its second message (\\Recent, A009) it reads that message's octets "
        "as commands ('Subject: BAD ...'), answered here",
    ("rfc3501_mailboxes.txt", "A006"):
        "RFC 3501 §6.3.3: 'It is an error to attempt to create INBOX'; Dovecot says OK while INBOX "
        "does not exist on disk yet",
}

# Capabilities both servers advertise that need no script of their own:
# IMAP4rev1 is every script; these are covered as a side effect.
IMPLICIT = {"IMAP4REV1"}


class ScriptError(Exception):
    pass


# ---------------------------------------------------------------------------
# Dovecot, configured like a Lemonade account: one personal namespace with
# "/" as the separator and the special-use mailboxes Lemonade creates for
# every new account (Archive, Drafts, Junk, Sent, Trash, all subscribed).

DOVECOT_EXTRA = r"""
mail_location = sdbox:~/mail
# IDLE learns of other sessions' changes by inotify; without it, poll often.
mailbox_idle_check_interval = 1 secs
namespace inbox {
  inbox = yes
  separator = /
  prefix =
  mailbox INBOX {
    auto = subscribe
  }
  mailbox Archive {
    special_use = \Archive
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \Drafts
    auto = subscribe
  }
  mailbox Junk {
    special_use = \Junk
    auto = subscribe
  }
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \Trash
    auto = subscribe
  }
}
# RFC 5464 METADATA (off by default in Dovecot).
mail_attribute_dict = file:%h/dovecot-attributes
protocol imap {
  imap_metadata = yes
  # RFC 4978 COMPRESS=DEFLATE
  mail_plugins = $mail_plugins imap_zlib
}
"""


class DiffDovecot(Dovecot):
    def setup(self):
        super().setup()
        with open(self.conf) as f:
            conf = f.read()
        # One mail_location: ours replaces the helper's Maildir.
        conf = re.sub(r"(?m)^mail_location = .*\n", "", conf)
        with open(self.conf, "w") as f:
            f.write(conf + DOVECOT_EXTRA)


# ---------------------------------------------------------------------------
# Scripts

class Script:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        self.covers = set()
        self.steps = []      # (lineno, kind, conn, text, allow)
        self.messages = {}


def read_messages(path, into):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("!literal "):
            _, name, text = line.split(" ", 2)
            into[name] = text.encode("utf-8")
        elif line.startswith("!message "):
            name = line.split()[1]
            body = []
            i += 1
            while i < len(lines) and lines[i] != "!end":
                body.append(lines[i])
                i += 1
            if i == len(lines):
                raise ScriptError("%s: !message %s has no !end" % (path, name))
            into[name] = "".join(b + "\r\n" for b in body).encode("utf-8")
        i += 1


def parse_script(path, shared):
    s = Script(path)
    s.messages = dict(shared)
    read_messages(path, s.messages)
    allow = []
    tags = set()
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    in_message = False
    for n, line in enumerate(lines, 1):
        if in_message:
            in_message = line != "!end"
            continue
        if line.startswith("!message "):
            in_message = True
            continue
        if not line.strip() or line.startswith("#") or line.startswith("!literal "):
            continue
        m = re.match(r"C(\d*): (.*)\Z", line)
        if m:
            conn, text = int(m.group(1) or 1), m.group(2)
            if text.upper() != "DONE":
                tag = text.split()[0]  # KNOWN_LEMONADE_BUGS names blocks by script and tag
                if tag in tags or tag.lower().startswith("zlog"):
                    raise ScriptError("%s:%d: tag %s used twice (zlog... are the runner's)" % (s.name, n, tag))
                tags.add(tag)
            for lit in re.findall(r"\{%(\w+)\+?\}", text):
                if lit not in s.messages:
                    raise ScriptError("%s:%d: no message %s" % (s.name, n, lit))
            s.steps.append((n, "C", conn, text, allow))
            allow = []
            continue
        words = line.split(None, 2)
        if words[0] == "!covers":
            s.covers |= {w.upper() for w in words[1:] for w in w.split()}
        elif words[0] == "!wait":
            s.steps.append((n, "wait", int(words[1]), words[2], None))
        elif words[0] == "!capture":
            s.steps.append((n, "capture", 0, line.split(None, 1)[1], None))
        elif words[0] in ("!allow", "!allow-attr"):
            rx, sep, why = line.split(None, 1)[1].partition(" -- ")
            if not sep or not why.strip():
                raise ScriptError("%s:%d: %s needs ' -- ' and the RFC reason" % (s.name, n, words[0]))
            if words[0] == "!allow":
                allow = allow + [re.compile(rx.strip())]
            else:
                allow = allow + [("attr", a.lower()) for a in rx.split()]
        else:
            raise ScriptError("%s:%d: unknown directive %r" % (s.name, n, line))
    return s


# ---------------------------------------------------------------------------
# Running a script against one server

class Block:
    def __init__(self, conn, tag, text, lineno, allow, script_text=None):
        self.conn, self.tag, self.text, self.lineno = conn, tag, text, lineno
        self.script_text = script_text or text
        self.allow = allow or []
        self.lines = []      # raw responses, literals inline (bytes)


class Timeout(Exception):
    pass


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT)
        self.buf = b""
        self.current = None  # the block of the command in progress
        self.pending = []    # lines read between commands
        self.z_in = self.z_out = None  # RFC 4978, after COMPRESS DEFLATE's OK

    def start_compress(self):
        """Raw DEFLATE both ways from now on (RFC 4978 §3), a sync flush
        after each write."""
        self.z_in, self.z_out = zlib.decompressobj(-15), zlib.compressobj(6, zlib.DEFLATED, -15)

    def send(self, data):
        if self.z_out:
            data = self.z_out.compress(data) + self.z_out.flush(zlib.Z_SYNC_FLUSH)
        self.sock.sendall(data)

    def _fill(self, deadline):
        left = deadline - time.time()
        if left <= 0:
            raise Timeout()
        r, _, _ = select.select([self.sock], [], [], min(left, 0.5))
        if r:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError()
            if self.z_in:
                chunk = self.z_in.decompress(chunk)
            self.buf += chunk

    def read_response(self, timeout=READ_TIMEOUT):
        """One response: a line, with any literals and the rest of the line."""
        deadline = time.time() + timeout
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self._fill(deadline)
            line, self.buf = self.buf.split(b"\r\n", 1)
            out += line
            m = re.search(rb"~?\{(\d+)\}\Z", line)
            if not m:
                return out
            n = int(m.group(1))
            while len(self.buf) < n:
                self._fill(deadline)
            out += b"\r\n" + self.buf[:n]
            self.buf = self.buf[n:]

    def record(self, line):
        (self.current.lines if self.current else self.pending).append(line)


class Run:
    """One script on one server: the blocks of responses, in order."""

    def __init__(self, port, user, script):
        self.port, self.user, self.script = port, user, script
        self.conns = {}
        self.blocks = []
        self.vars = {}
        self.error = None

    def conn(self, n):
        if n not in self.conns:
            c = Conn(self.port)
            c.read_response()  # greeting: server-specific (README rule 1)
            c.sock.sendall(b"zlogin LOGIN %s %s\r\n" % (self.user.encode(), PASSWORD.encode()))
            while True:
                line = c.read_response()
                if line.startswith(b"zlogin "):
                    break
            if not line.startswith(b"zlogin OK"):
                raise ScriptError("login failed: %r" % line)
            self.conns[n] = c
        return self.conns[n]

    def read_until(self, c, done):
        while True:
            line = c.read_response()
            c.record(line)
            if done(line):
                return line

    def command(self, lineno, n, text, allow):
        c = self.conn(n)
        script_text = text
        text = re.sub(r"\$\{(\w+)\}", lambda m: self.vars.get(m.group(1), "${%s}" % m.group(1)), text)
        if text.upper() == "DONE":
            if not c.current:
                raise ScriptError("line %d: DONE without IDLE" % lineno)
            c.send(b"DONE\r\n")
            tag = c.current.tag.encode()
            self.read_until(c, lambda l: l.startswith(tag + b" "))
            c.current = None
            return
        if c.current:
            raise ScriptError("line %d: connection %d is still in %s" % (lineno, n, c.current.text))
        tag = text.split()[0]
        btag = tag.encode() + b" "
        block = Block(n, tag, text, lineno, allow, script_text)
        block.lines, c.pending = c.pending, []
        self.blocks.append(block)
        c.current = block
        pieces = re.split(r"\{%(\w+\+?)\}", text)
        out = pieces[0].encode("utf-8")
        for i in range(1, len(pieces), 2):
            name = pieces[i]
            sync = not name.endswith("+")
            data = self.script.messages[name.rstrip("+")]
            out += b"{%d%s}\r\n" % (len(data), b"" if sync else b"+")
            if sync:
                c.send(out)
                out = b""
                line = self.read_until(c, lambda l: l.startswith(b"+") or l.startswith(btag))
                if line.startswith(btag):  # refused before the literal
                    c.current = None
                    return
            out += data + pieces[i + 1].encode("utf-8")
        c.send(out + b"\r\n")
        words = text.split()
        if len(words) == 2 and words[1].upper() == "IDLE":
            line = self.read_until(c, lambda l: l.startswith(b"+") or l.startswith(btag))
            if line.startswith(b"+"):
                return  # the block stays open until DONE
        else:
            line = self.read_until(c, lambda l: l.startswith(btag))
            if [w.upper() for w in words[1:]] == ["COMPRESS", "DEFLATE"] and line.startswith(btag + b"OK"):
                c.start_compress()
        c.current = None
        if len(words) == 2 and words[1].upper() == "LOGOUT":
            c.sock.close()
            del self.conns[n]

    def wait(self, n, regex):
        c = self.conn(n)
        rx = re.compile(regex.encode())
        deadline = time.time() + WAIT_TIMEOUT
        while True:
            try:
                line = c.read_response(max(0.0, deadline - time.time()))
            except Timeout:
                c.record(b"<!wait: nothing matched /%s/ within %ds>" % (regex.encode(), WAIT_TIMEOUT))
                return
            c.record(line)
            if rx.search(line):
                return

    def capture(self, spec):
        name, regex = spec.split(None, 1)
        rx = re.compile(regex.encode())
        for line in reversed(self.blocks[-1].lines if self.blocks else []):
            m = rx.search(line)
            if m:
                self.vars[name] = m.group(1).decode()
                return
        self.vars[name] = "0"
        self.blocks[-1].lines.append(b"<!capture %s: /%s/ matched nothing>" % (name.encode(), regex.encode()))

    def run(self):
        try:
            for lineno, kind, n, text, allow in self.script.steps:
                if kind == "C":
                    self.command(lineno, n, text, allow)
                elif kind == "wait":
                    self.wait(n, text)
                elif kind == "capture":
                    self.capture(text)
            for n in sorted(self.conns):
                c = self.conns[n]
                if c.current:  # an IDLE left open: end it
                    self.command(0, n, "DONE", None)
                block = Block(n, "zlogout%d" % n, "zlogout%d LOGOUT" % n, 0, None)
                block.lines, c.pending = c.pending, []
                self.blocks.append(block)
                c.current = block
                c.send(b"zlogout%d LOGOUT\r\n" % n)
                self.read_until(c, lambda l: l.startswith(b"zlogout%d " % n))
        except Timeout:
            self.error = "no response within %ds" % READ_TIMEOUT
        except (EOFError, OSError) as e:
            self.error = "connection closed or failed: %r" % e
        except ScriptError as e:
            self.error = str(e)
        if self.error and self.blocks:
            self.blocks[-1].lines.append(b"<error: " + self.error.encode() + b">")
        for c in self.conns.values():
            try:
                c.sock.close()
            except OSError:
                pass
        return self


# ---------------------------------------------------------------------------
# Parsing and normalising responses

class Str(str):
    """An IMAP string, quoted or literal (RFC 3501 §4.3: the form is the
    sender's choice)."""


class Atom(str):
    pass


class Ph:
    """A value replaced when printing: kind 'uv' (UIDVALIDITY), 'modseq',
    'date' (INTERNALDATE, as a UTC datetime)."""

    def __init__(self, kind, value):
        self.kind, self.value = kind, value


class ParseError(Exception):
    pass


def tokenize(b, i=0, closing=None):
    out = []
    n = len(b)
    while i < n:
        c = b[i:i + 1]
        if c == b" ":
            i += 1
        elif c == b")":
            if closing != b")":
                raise ParseError("unbalanced )")
            return out, i + 1
        elif c == b"(":
            sub, i = tokenize(b, i + 1, b")")
            out.append(sub)
        elif c == b'"':
            j, s = i + 1, bytearray()
            while j < n and b[j:j + 1] != b'"':
                if b[j:j + 1] == b"\\":
                    j += 1
                s += b[j:j + 1]
                j += 1
            if j >= n:
                raise ParseError("unterminated quoted string")
            out.append(Str(s.decode("utf-8", "backslashreplace")))
            i = j + 1
        elif c in (b"{", b"~") and re.match(rb"~?\{\d+\+?\}\r\n", b[i:i + 24]):
            m = re.match(rb"~?\{(\d+)\+?\}\r\n", b[i:i + 24])
            start = i + len(m.group(0))
            data = b[start:start + int(m.group(1))]
            out.append(Str(data.decode("utf-8", "backslashreplace")))
            i = start + int(m.group(1))
        else:
            j, depth = i, 0
            while j < n:
                ch = b[j:j + 1]
                if ch == b"[":
                    depth += 1
                elif ch == b"]" and depth:
                    depth -= 1
                elif depth == 0 and ch in (b" ", b"(", b")"):
                    break
                j += 1
            out.append(Atom(b[i:j].decode("utf-8", "backslashreplace")))
            i = j
    if closing:
        raise ParseError("unterminated list")
    return out, i


def expand_set(s):
    """A sequence set as a list of numbers, in the order written."""
    out = []
    for part in str(s).split(","):
        if ":" in part:
            a, b = part.split(":")
            a, b = int(a), int(b)
            out.extend(range(min(a, b), max(a, b) + 1))
        elif part:
            out.append(int(part))
    return out


def compress(nums):
    """Numbers as a sequence set, runs of consecutive ascending numbers as
    ranges, in the order given."""
    parts, i = [], 0
    while i < len(nums):
        j = i
        while j + 1 < len(nums) and nums[j + 1] == nums[j] + 1:
            j += 1
        parts.append(str(nums[i]) if i == j else "%d:%d" % (nums[i], nums[j]))
        i = j + 1
    return Atom(",".join(parts))


def canon_set(s):
    """RFC 3501 §9 sequence-set: order and ranges are not significant."""
    try:
        return compress(sorted(set(expand_set(s))))
    except ValueError:
        return s


def flag_list(x):
    return sorted(x, key=lambda f: str(f).lower()) if isinstance(x, list) else x


def date_ph(s):
    try:
        d = datetime.datetime.strptime(str(s).strip(), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        return s
    return Ph("date", d.astimezone(datetime.timezone.utc))


def is_number(x):
    return isinstance(x, str) and not isinstance(x, Str) and x.isdigit()


# RFC 5530 response codes: a server MAY send them; the status (OK/NO/BAD)
# carries the meaning (README rule 4).
RFC5530_CODES = {
    "UNAVAILABLE", "AUTHENTICATIONFAILED", "AUTHORIZATIONFAILED", "EXPIRED",
    "PRIVACYREQUIRED", "CONTACTADMIN", "NOPERM", "INUSE", "EXPUNGEISSUED",
    "CORRUPTION", "SERVERBUG", "CLIENTBUG", "CANNOT", "LIMIT", "OVERQUOTA",
    "ALREADYEXISTS", "NONEXISTENT",
}


def norm_code(code):
    """A response code (the text inside [ ]) as a token list, or None to
    drop it."""
    try:
        toks, _ = tokenize(code.encode("utf-8", "surrogateescape"))
    except ParseError:
        return [Atom(code)]
    if not toks:
        return toks
    name = str(toks[0]).upper()
    toks[0] = Atom(name)
    if name == "CAPABILITY" or name in RFC5530_CODES:
        return None
    if name == "UIDVALIDITY" and len(toks) == 2:
        toks[1] = Ph("uv", toks[1])
    elif name == "HIGHESTMODSEQ" and len(toks) == 2:
        toks[1] = Ph("modseq", toks[1])
    elif name == "APPENDUID" and len(toks) == 3:
        toks[1] = Ph("uv", toks[1])
        toks[2] = canon_set(toks[2])
    elif name == "COPYUID" and len(toks) == 4:
        toks[1] = Ph("uv", toks[1])
        try:
            pairs = sorted(zip(expand_set(toks[2]), expand_set(toks[3])))
            toks[2] = compress([p[0] for p in pairs])
            toks[3] = compress([p[1] for p in pairs])
        except ValueError:
            pass
    elif name == "MODIFIED" and len(toks) == 2:
        toks[1] = canon_set(toks[1])
    elif name == "PERMANENTFLAGS" and len(toks) == 2:
        toks[1] = flag_list(toks[1])
    elif name == "BADCHARSET":
        return toks[:1]  # the list of charsets is optional (RFC 3501 §7.1)
    return toks


def pairs(items):
    return [(items[i], items[i + 1] if i + 1 < len(items) else None) for i in range(0, len(items), 2)]


def lower(x):
    return Str(x.lower()) if isinstance(x, Str) else x


def norm_params(p):
    """body-fld-param: attribute names are case-insensitive (RFC 2045 §5.1),
    and so is the value of charset (RFC 2046 §4.1.2)."""
    if not isinstance(p, list):
        return p
    out = []
    for k, v in pairs(p):
        k = lower(k)
        out += [k, lower(v) if k == "charset" else v]
    return out


def norm_disp(d):
    if isinstance(d, list) and len(d) == 2:
        return [lower(d[0]), norm_params(d[1])]
    return d


def norm_body(b):
    """BODY / BODYSTRUCTURE: type, subtype, encoding and disposition type
    are case-insensitive (RFC 2045 §5.1, §6.1; RFC 2183 §2)."""
    if not isinstance(b, list) or not b:
        return b
    if isinstance(b[0], list):
        i = 0
        while i < len(b) and isinstance(b[i], list):
            i += 1
        out = [norm_body(x) for x in b[:i]] + list(b[i:])
        if len(out) > i:
            out[i] = lower(out[i])
        if len(out) > i + 1:
            out[i + 1] = norm_params(out[i + 1])
        if len(out) > i + 2:
            out[i + 2] = norm_disp(out[i + 2])
        return out
    out = list(b)
    if len(out) < 7:
        return out
    out[0], out[1], out[2], out[5] = lower(out[0]), lower(out[1]), norm_params(out[2]), lower(out[5])
    ext = 7
    if out[0] == "message" and out[1] == "rfc822" and len(out) >= 10:
        out[8] = norm_body(out[8])
        ext = 10
    elif out[0] == "text":
        ext = 8
    if len(out) > ext + 1:
        out[ext + 1] = norm_disp(out[ext + 1])
    return out


def norm_fetch(items):
    out = []
    for k, v in pairs(items):
        key = Atom(str(k).upper())
        if key == "FLAGS":
            v = flag_list(v)
        elif key == "MODSEQ" and isinstance(v, list) and len(v) == 1:
            v = [Ph("modseq", v[0])]
        elif key == "INTERNALDATE":
            v = date_ph(v)
        elif key in ("BODY", "BODYSTRUCTURE"):
            v = norm_body(v)
        elif key == "PREVIEW" and isinstance(v, Str) and v:
            # RFC 8970 §3.2: the text is the server's own ("not intended to
            # be interpreted in any way by the client"): NIL, "" or text.
            v = Str("<preview text>")
        out.append((key, v))
    out.sort(key=lambda p: p[0])
    return [x for p in out for x in p]


def norm_esearch(toks, ordered):
    """* ESEARCH [(TAG "x")] [UID] name value ...: RFC 4731 §3 return data
    in any order; ALL is a set (for ESORT, RFC 5267 §3, in sort order)."""
    head, i = [], 0
    if i < len(toks) and isinstance(toks[i], list):
        head.append([Atom(str(toks[i][0]).upper()), Str(toks[i][1])] if len(toks[i]) == 2 else toks[i])
        i += 1
    if i < len(toks) and str(toks[i]).upper() == "UID":
        head.append(Atom("UID"))
        i += 1
    rest = []
    for k, v in pairs(toks[i:]):
        key = Atom(str(k).upper())
        if key == "ALL":
            v = compress(expand_set(v)) if ordered else canon_set(v)
        elif key == "MODSEQ":
            v = Ph("modseq", v)
        elif key in ("ADDTO", "REMOVEFROM") and isinstance(v, list) and len(v) == 2:
            v = [v[0], compress(expand_set(v[1])) if ordered else canon_set(v[1])]
        rest.append((key, v))
    # ADDTO/REMOVEFROM are updates applied in order (RFC 5267 §4.3): keep
    # their order, sort the rest.
    fixed = [p for p in rest if p[0] not in ("ADDTO", "REMOVEFROM")]
    updates = [p for p in rest if p[0] in ("ADDTO", "REMOVEFROM")]
    fixed.sort(key=lambda p: p[0])
    return head + [x for p in fixed + updates for x in p]


def as_name(x):
    """A mailbox name: atom, quoted or literal are the same name."""
    return Str(x) if isinstance(x, str) and str(x).upper() != "NIL" else x


CHILD_ATTRS = {"\\haschildren", "\\hasnochildren"}
SPECIAL_USE_ATTRS = {"\\all", "\\archive", "\\drafts", "\\flagged", "\\junk", "\\sent", "\\trash"}


def list_options(command):
    """(extended syntax?, RETURN (CHILDREN)?, SPECIAL-USE asked for?) of a
    LIST command (RFC 5258 §3, RFC 6154 §2)."""
    words = command.split(None, 2)
    if len(words) < 3 or words[1].upper() != "LIST":
        return False, False, False
    try:
        toks, _ = tokenize(words[2].encode("utf-8"))
    except ParseError:
        return False, False, False
    selection = toks[0] if toks and isinstance(toks[0], list) else None
    rest = toks[1:] if selection is not None else toks
    returns = []
    for i, t in enumerate(rest):
        if str(t).upper() == "RETURN" and i + 1 < len(rest) and isinstance(rest[i + 1], list):
            returns = rest[i + 1]
    names = lambda lst: {str(x).upper() for x in lst if not isinstance(x, list)}
    extended = (selection is not None or any(str(t).upper() == "RETURN" for t in rest)
                or (len(rest) > 1 and isinstance(rest[1], list)))
    return (extended, "CHILDREN" in names(returns),
            "SPECIAL-USE" in names(returns) or (selection is not None and "SPECIAL-USE" in names(selection)))


def normalise(raw, command):
    """One raw response -> (kind, tokens) or None to drop it. kind is
    'barrier' for responses whose order matters (continuations, EXPUNGE,
    VANISHED, tagged), 'free' for those the RFC lets come in any order."""
    if raw.startswith(b"<"):
        return "barrier", [Atom(raw.decode("utf-8", "backslashreplace"))]
    if raw.startswith(b"+"):
        return "barrier", [Atom("+")]  # text of a continuation: §7.5
    head, _, rest = raw.partition(b" ")
    tagged = head != b"*"
    word, _, after = rest.partition(b" ")
    uword = word.upper()
    if uword in (b"OK", b"NO", b"BAD", b"BYE", b"PREAUTH"):
        code = None
        if after.startswith(b"["):
            end = after.find(b"]")
            if end > 0:
                code = norm_code(after[1:end].decode("utf-8", "backslashreplace"))
        out = [Atom(head.decode()), Atom(uword.decode())]
        if code:
            out.append(("code", code))
        if not tagged and uword == b"OK" and not code:
            return None  # information only (§7.1.1): "* OK Still here"
        return ("barrier" if tagged or uword == b"BYE" else "free"), out
    try:
        toks, _ = tokenize(rest)
    except ParseError:
        return "free", [Atom("*"), Atom(rest.decode("utf-8", "backslashreplace"))]
    if not toks:
        return "free", [Atom("*")]
    if is_number(toks[0]) and len(toks) >= 2:
        what = str(toks[1]).upper()
        toks[1] = Atom(what)
        if what == "FETCH" and len(toks) == 3 and isinstance(toks[2], list):
            toks[2] = norm_fetch(toks[2])
        kind = "barrier" if what == "EXPUNGE" else "free"
        return kind, [Atom("*")] + toks
    what = str(toks[0]).upper()
    toks[0] = Atom(what)
    if what in ("CAPABILITY", "ID"):
        return None  # README rule 3
    if what == "FLAGS" and len(toks) == 2:
        toks[1] = flag_list(toks[1])
    elif what in ("LIST", "LSUB") and len(toks) >= 4:
        if isinstance(toks[1], list):
            drop = {"\\marked", "\\unmarked"}  # optional hints (RFC 3501 §7.2.2)
            extended, children, special = list_options(command)
            if extended and not children:
                drop |= CHILD_ATTRS
            if extended and not special:
                drop |= SPECIAL_USE_ATTRS
            toks[1] = [a for a in toks[1] if str(a).lower() not in drop]
        toks[1] = flag_list(toks[1])
        toks[3] = as_name(toks[3])
        for ext in toks[4:]:
            if isinstance(ext, list):
                for j in range(0, len(ext), 2):
                    ext[j] = Atom(str(ext[j]).upper())  # mbox-list-extended-item-tag: astring
                    if j + 1 < len(ext) and isinstance(ext[j + 1], list):
                        ext[j + 1] = flag_list(ext[j + 1])
    elif what == "STATUS" and len(toks) == 3 and isinstance(toks[2], list):
        items = []
        for k, v in pairs(toks[2]):
            k = Atom(str(k).upper())
            if k == "UIDVALIDITY":
                v = Ph("uv", v)
            elif k == "HIGHESTMODSEQ":
                v = Ph("modseq", v)
            items.append((k, v))
        items.sort(key=lambda p: p[0])
        toks[1] = as_name(toks[1])
        toks[2] = [x for p in items for x in p]
    elif what == "SEARCH":
        nums = [t for t in toks[1:] if not isinstance(t, list)]
        mods = [t for t in toks[1:] if isinstance(t, list)]
        nums.sort(key=lambda t: int(t) if str(t).isdigit() else 0)
        for m in mods:
            if len(m) == 2 and str(m[0]).upper() == "MODSEQ":
                m[0], m[1] = Atom("MODSEQ"), Ph("modseq", m[1])
        toks = [toks[0]] + nums + mods
    elif what == "ESEARCH":
        verb = command.split()[1:3]
        ordered = any(w.upper() == "SORT" for w in verb)
        toks = [toks[0]] + norm_esearch(toks[1:], ordered)
    elif what == "METADATA" and len(toks) >= 2:
        toks[1] = as_name(toks[1])  # RFC 5464 §5: mailbox, an atom or a string
        if len(toks) == 3 and isinstance(toks[2], list):
            # Entry names are case-insensitive (§3.2) and come in no order
            # the RFC sets.
            items = sorted(((Atom(str(k).lower()), v) for k, v in pairs(toks[2])), key=lambda p: str(p[0]))
            toks[2] = [x for p in items for x in p]
    elif what == "ENABLED":
        if len(toks) == 1:
            return None  # enabled nothing: RFC 5161 §4 allows "* ENABLED" or no response
        toks = [toks[0]] + sorted(Atom(str(t).upper()) for t in toks[1:])
    elif what == "VANISHED":
        toks[-1] = canon_set(toks[-1])
        if len(toks) == 2:
            return "barrier", [Atom("*")] + toks
    return "free", [Atom("*")] + toks



class Labeller:
    """Placeholders for one run: UIDVALIDITY values numbered in order of
    first appearance, MODSEQ values by rank, dates in UTC or "<now>"."""

    def __init__(self, blocks):
        values = {"uv": [], "modseq": []}
        for items in blocks:
            for _, toks in items:
                collect(toks, values)
        self.uv = {}
        for v in values["uv"]:
            self.uv.setdefault(v, "<uidvalidity-%d>" % (len(self.uv) + 1))
        ranks = sorted(set(int(v) for v in values["modseq"] if str(v).isdigit()))
        self.modseq = {v: "<modseq-%d>" % (i + 1) for i, v in enumerate(ranks)}
        self.now = datetime.datetime.now(datetime.timezone.utc)

    def ph(self, p):
        if p.kind == "uv":
            return self.uv.get(str(p.value), str(p.value))
        if p.kind == "modseq":
            return self.modseq.get(int(p.value), str(p.value)) if str(p.value).isdigit() else str(p.value)
        if p.kind == "date":
            if abs((p.value - self.now).total_seconds()) < 86400:
                return '"<now>"'
            return '"%s"' % p.value.strftime("%d-%b-%Y %H:%M:%S +0000")
        return "?"


def collect(x, values):
    if isinstance(x, Ph):
        values.setdefault(x.kind, []).append(str(x.value))
    elif isinstance(x, (list, tuple)):
        for y in x:
            collect(y, values)


def quote(s):
    s = str(s).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + s.replace("\r", "\\r").replace("\n", "\\n") + '"'


def ser(x, lab):
    if isinstance(x, Ph):
        return lab.ph(x) if lab else str(x.value)
    if isinstance(x, tuple) and x and x[0] == "code":
        return "[" + " ".join(ser(y, lab) for y in x[1]) + "]"
    if isinstance(x, list):
        return "(" + " ".join(ser(y, lab) for y in x) + ")"
    if isinstance(x, Str):
        return quote(x)
    return str(x)


def show_raw(line):
    return line.decode("utf-8", "backslashreplace").replace("\r", "\\r").replace("\n", "\\n")


def parse_run(run):
    """Per block, the list of (kind, tokens) of its responses."""
    out = []
    for b in run.blocks:
        items = [normalise(l, b.text) for l in b.lines]
        items = [i for i in items if i is not None]
        # RFC 3501 §7.5: a server may refuse a command before its literal
        # (no "+") or after it; a "+" right before the tagged NO/BAD says
        # nothing more.
        if (len(items) >= 2 and items[-2][1] == [Atom("+")] and len(items[-1][1]) >= 2
                and items[-1][1][1] in ("NO", "BAD")):
            del items[-2]
        # A flag update for a message expunged right after says nothing the
        # EXPUNGE does not (RFC 3501 §7.4.1: the message is gone).
        items = [it for i, it in enumerate(items)
                 if not (fetch_keys(it[1]) is not None and i + 1 < len(items)
                         and items[i + 1][1][2:3] == ["EXPUNGE"] and items[i + 1][1][1] == it[1][1])]
        # ESEARCH updates one per response (RFC 5267 §4.3 lets a server put
        # several ADDTO/REMOVEFROM in one response or send them apart).
        split = []
        for kind, toks in items:
            ups = [j for j in range(2, len(toks) - 1)
                   if isinstance(toks[j], str) and toks[j] in ("ADDTO", "REMOVEFROM")] \
                if toks[1:2] == ["ESEARCH"] else []
            if len(ups) > 1:
                head = toks[:ups[0]]
                for j in ups:
                    split.append((kind, head + toks[j:j + 2]))
            else:
                split.append((kind, toks))
        out.append(split)
    return out


def order_key(line):
    """Responses the RFC lets come in any order are sorted, but not past
    each other where order carries meaning: FETCH responses for one message
    (the last one wins) and the updates of one ESEARCH context."""
    m = re.match(r"(\* \d+ FETCH) ", line)
    if m:
        return m.group(1)
    m = re.match(r'(\* ESEARCH \(TAG "[^"]*"\)(?: UID)? (?:ADDTO|REMOVEFROM)) ', line)
    if m:
        return m.group(1)
    return line


def sort_segment(lines):
    out = []
    for line in sorted(lines, key=order_key):  # stable
        if not (out and out[-1] == line and line.startswith("* ") and " FETCH " in line):
            out.append(line)  # the same FETCH twice in a row says it once
    return out


def serialise(blocks):
    """Blocks of (kind, tokens) as lists of lines, with order-free runs of
    responses sorted (README rule 6)."""
    lab = Labeller(blocks)
    out = []
    for items in blocks:
        lines, segment = [], []
        for kind, toks in items:
            text = " ".join(ser(t, lab) for t in toks)
            if kind == "free":
                segment.append(text)
            else:
                lines += sort_segment(segment) + [text]
                segment = []
        lines += sort_segment(segment)
        out.append(lines)
    return out


# ---------------------------------------------------------------------------
# Rules for differences that recur in many blocks. Each is listed in
# KNOWN_LEMONADE_BUGS or DOVECOT_DEVIATIONS under "rule:NAME"; it removes
# the difference from the comparison, and is reported with how often it
# applied (and fails the test when it no longer applies at all).

def verb(text):
    words = text.split()
    i = 2 if len(words) > 2 and words[1].upper() == "UID" else 1
    return words[i].upper() if len(words) > i else ""


def is_untagged_code(toks, name):
    return (len(toks) >= 3 and toks[0] == "*" and toks[1] == "OK" and isinstance(toks[2], tuple)
            and toks[2][1] and toks[2][1][0] == name)


def fetch_keys(toks):
    if len(toks) == 4 and toks[2] == "FETCH" and isinstance(toks[3], list):
        return [str(k) for k, _ in pairs(toks[3])]
    return None


def rule_highestmodseq_in_select(b, lem, dov, state):
    """Dovecot sends [HIGHESTMODSEQ] in SELECT/EXAMINE only once CONDSTORE
    is enabled."""
    if verb(b.text) not in ("SELECT", "EXAMINE"):
        return 0
    if any(is_untagged_code(t, "HIGHESTMODSEQ") for _, t in dov):
        return 0
    before = len(lem)
    lem[:] = [(k, t) for k, t in lem if not is_untagged_code(t, "HIGHESTMODSEQ")]
    return before - len(lem)


def strip_extra_uid(b, lem, dov, with_modseq):
    """Lemonade FETCH responses that have UID where Dovecot's for the same
    message have the same items without UID: remove the UID. with_modseq
    picks those with MODSEQ (CONDSTORE) or those without."""
    if b.text.upper().split()[1:2] == ["UID"]:
        return 0
    fired = 0
    dov_by_num = {}
    for _, t in dov:
        keys = fetch_keys(t)
        if keys is not None:
            dov_by_num.setdefault(str(t[1]), []).append(keys)
    for i, (k, t) in enumerate(lem):
        keys = fetch_keys(t)
        if keys is None or "UID" not in keys or ("MODSEQ" in keys) != with_modseq:
            continue
        others = dov_by_num.get(str(t[1]), [])
        want = sorted(x for x in keys if x != "UID")
        if any(sorted(o) == want for o in others):
            items = [x for kv in pairs(t[3]) if kv[0] != "UID" for x in kv]
            lem[i] = (k, t[:3] + [items])
            fired += 1
    return fired


def rule_extra_highestmodseq(b, lem, dov, state):
    """An untagged OK [HIGHESTMODSEQ] outside SELECT/EXAMINE that only
    Lemonade sends (after an APPEND, a change by another session): an
    information-only OK with a response code may come at any time (RFC 3501
    §7.1.1), and RFC 7162 §3.1.2.1 lets the client learn the value so."""
    if verb(b.text) in ("SELECT", "EXAMINE"):
        return 0
    if any(is_untagged_code(t, "HIGHESTMODSEQ") for _, t in dov):
        return 0
    before = len(lem)
    lem[:] = [(k, t) for k, t in lem if not is_untagged_code(t, "HIGHESTMODSEQ")]
    return before - len(lem)


# Differences the RFCs leave to the server: applied silently, counted.
ALLOWED_RULES = {
    "rule:repeated-recent":
        "RFC 3501 §7.3.2 (RECENT 'occurs ... if the size of the mailbox changes'): Lemonade repeats an "
        "unchanged recent count with each EXISTS, Dovecot sends RECENT only when the count changed",
    "rule:extra-highestmodseq":
        "RFC 3501 §7.1.1 (an untagged OK with a response code is information the server may send at "
        "any time): Lemonade announces a new HIGHESTMODSEQ after changes no FETCH carried",
    "rule:uid-in-unsolicited-fetch":
        "RFC 3501 §7.4.2 (a FETCH response may carry data items that were not asked for): Lemonade "
        "adds UID to the FETCH responses that report flag changes",
}

def rule_uid_in_condstore_fetch(b, lem, dov, state):
    """Once CONDSTORE is enabled, Dovecot leaves UID out of the untagged
    FETCH of a non-UID STORE and of other sessions' changes."""
    return strip_extra_uid(b, lem, dov, True)


def rule_uid_in_unsolicited_fetch(b, lem, dov, state):
    """Without CONDSTORE, Lemonade adds UID to the FETCH responses that
    report flag changes (its own STORE's, other sessions'); RFC 3501
    §7.4.2 lets a FETCH response carry data items nobody asked for."""
    return strip_extra_uid(b, lem, dov, False)


def rule_repeated_recent(b, lem, dov, state):
    """A RECENT response that repeats the count the session already has
    (Lemonade sends RECENT with every EXISTS; Dovecot only when the count
    changed). Tracks Lemonade's last RECENT per connection."""
    def recent(t):
        return len(t) == 3 and t[0] == "*" and t[2] == "RECENT"
    key = ("recent", b.conn)
    fired = 0
    if verb(b.text) not in ("SELECT", "EXAMINE") and not any(recent(t) for _, t in dov):
        keep = []
        for k, t in lem:
            if recent(t) and state.get(key) == str(t[1]):
                fired += 1
                continue
            keep.append((k, t))
        lem[:] = keep
    for _, t in lem:
        if recent(t):
            state[key] = str(t[1])
    return fired


RULES = {
    "rule:repeated-recent": rule_repeated_recent,
    "rule:extra-highestmodseq": rule_extra_highestmodseq,
    "rule:uid-in-unsolicited-fetch": rule_uid_in_unsolicited_fetch,
    "rule:highestmodseq-in-select": rule_highestmodseq_in_select,
    "rule:uid-in-condstore-fetch": rule_uid_in_condstore_fetch,
}


# ---------------------------------------------------------------------------
# Comparing

def capabilities(port, user):
    c = Conn(port)
    c.read_response()
    c.sock.sendall(b"L0 LOGIN %s %s\r\nC0 CAPABILITY\r\nZ0 LOGOUT\r\n" % (user.encode(), PASSWORD.encode()))
    caps = set()
    while True:
        line = c.read_response()
        if line.upper().startswith(b"* CAPABILITY "):
            caps = set(line[13:].decode().upper().split())
        if line.startswith(b"Z0 "):
            break
    c.sock.close()
    return caps


def apply_allow(allow, lines):
    out = []
    for line in lines:
        if any(not isinstance(a, tuple) and a.search(line) for a in allow):
            continue
        attrs = [a[1] for a in allow if isinstance(a, tuple)]
        m = re.match(r"(\* (?:LIST|LSUB) )\(([^)]*)\)(.*)\Z", line)
        if attrs and m:
            kept = [x for x in m.group(2).split() if x.lower() not in attrs]
            line = "%s(%s)%s" % (m.group(1), " ".join(kept), m.group(3))
        out.append(line)
    # The attributes were part of the sort key: sort the untagged runs again.
    i = 0
    while i < len(out):
        j = i
        while j < len(out) and out[j].startswith("* "):
            j += 1
        out[i:j] = sort_segment(out[i:j])
        i = j + 1
    return out


def compare(script, lem, dov, fired):
    """Per block: (tag, differs, text). fired counts the rules applied."""
    lp, dp = parse_run(lem), parse_run(dov)
    state = {}
    for i in range(min(len(lp), len(dp))):
        for name, rule in RULES.items():
            n = rule(lem.blocks[i], lp[i], dp[i], state)
            if n:
                fired.setdefault(name, []).append("%s %s" % (script.name, lem.blocks[i].tag))
    ln, dn = serialise(lp), serialise(dp)
    results = []
    for i in range(max(len(lem.blocks), len(dov.blocks))):
        lb = lem.blocks[i] if i < len(lem.blocks) else None
        db = dov.blocks[i] if i < len(dov.blocks) else None
        b = lb or db
        ll = ln[i] if lb else ["<no block: the run stopped>"]
        dl = dn[i] if db else ["<no block: the run stopped>"]
        if lb and db and (lb.tag, lb.conn) != (db.tag, db.conn):
            dl = ["<the runs went out of step: %s>" % db.script_text]
        if b.allow:
            ll, dl = apply_allow(b.allow, ll), apply_allow(b.allow, dl)
        if ll == dl:
            results.append((b.tag, False, ""))
            continue
        where = "%s:%s C%d: %s" % (script.name, b.lineno or "end", b.conn, b.script_text)
        text = [where]
        text += ["    " + d for d in difflib.unified_diff(ll, dl, "lemonade", "dovecot", lineterm="", n=20)]
        text.append("    raw lemonade:")
        text += ["      " + show_raw(l) for l in (lb.lines if lb else [])]
        text.append("    raw dovecot:")
        text += ["      " + show_raw(l) for l in (db.lines if db else [])]
        results.append((b.tag, True, "\n".join(text)))
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    ap.add_argument("--only", nargs="*", help="script names (without .txt) to run")
    ap.add_argument("--verbose", action="store_true", help="print Lemonade's normalised blocks (before the RULES)")
    args = ap.parse_args()

    if not shutil.which("dovecot") or not shutil.which("doveadm"):
        print("FAIL: dovecot is not installed (Debian package dovecot-imapd; scripts/install-deps.sh)")
        return 1
    sdir = os.path.join(HERE, "scripts")
    shared = {}
    paths = sorted(os.path.join(sdir, f) for f in os.listdir(sdir) if f.endswith(".txt"))
    for p in paths:
        if os.path.basename(p).startswith("_"):
            read_messages(p, shared)
    scripts = [parse_script(p, shared) for p in paths if not os.path.basename(p).startswith("_")]
    if args.only:
        scripts = [s for s in scripts if s.name[:-4] in args.only]
    users = {"d%02d" % i: PASSWORD for i in range(len(scripts) + 1)}

    started = time.time()
    failures, expected, fired = [], [], {}
    with LemonadeServer(args.lemonade, users=users) as lemonade, DiffDovecot(users) as dovecot:
        lcaps = capabilities(lemonade.imap_port, "d00")
        dcaps = capabilities(dovecot.imap_port, "d00")
        both = lcaps & dcaps
        print("capabilities both advertise:", " ".join(sorted(both)))
        print("only Lemonade:", " ".join(sorted(lcaps - dcaps)) or "-")
        print("only Dovecot: ", " ".join(sorted(dcaps - lcaps)) or "-")
        covered = set()
        for i, s in enumerate(scripts, 1):
            missing = s.covers - both
            if missing:
                print("SKIP %s: not advertised by both: %s" % (s.name, " ".join(sorted(missing))))
                continue
            covered |= s.covers
            user = "d%02d" % i
            t0 = time.time()
            lem = Run(lemonade.imap_port, user, s).run()
            dov = Run(dovecot.imap_port, user, s).run()
            results = compare(s, lem, dov, fired)
            if args.verbose:
                for b, lines in zip(lem.blocks, serialise(parse_run(lem))):
                    print("  C%d: %s" % (b.conn, b.script_text))
                    for l in lines:
                        print("     " + l)
            seen_keys = set()
            bad = 0
            for tag, differs, text in results:
                key = (s.name, tag)
                seen_keys.add(key)
                for table, label in ((KNOWN_LEMONADE_BUGS, "KNOWN LEMONADE BUG"),
                                     (DOVECOT_DEVIATIONS, "DOVECOT DEVIATION")):
                    if key in table:
                        if differs:
                            expected.append((label, "EXPECTED FAILURE (%s) %s %s: %s\n%s" % (label, s.name, tag, table[key], text)))
                        else:
                            failures.append("%s %s %s now agrees with Dovecot: remove the entry (%s)"
                                            % (label, s.name, tag, table[key]))
                            bad += 1
                        break
                else:
                    if differs:
                        failures.append("DIFFERENCE " + text)
                        bad += 1
            for table, label in ((KNOWN_LEMONADE_BUGS, "KNOWN_LEMONADE_BUGS"), (DOVECOT_DEVIATIONS, "DOVECOT_DEVIATIONS")):
                for key in table:
                    if isinstance(key, tuple) and key[0] == s.name and key not in seen_keys:
                        failures.append("%s entry %s %s names no block of the script" % (label, key[0], key[1]))
                        bad += 1
            for run, who in ((lem, "lemonade"), (dov, "dovecot")):
                if run.error:
                    print("  note: %s stopped on %s: %s" % (s.name, who, run.error))
            print("%s %s (%d blocks, %.1f s)" % ("FAIL" if bad else "ok  ", s.name, len(results), time.time() - t0))
        uncovered = both - covered - IMPLICIT
        if uncovered and not args.only:
            failures.append("extensions both servers advertise with no script (!covers): " + " ".join(sorted(uncovered)))
        if lemonade.proc.poll() is not None:
            failures.append("lemonade died:\n" + lemonade.log()[-4000:])

    for table, label in ((KNOWN_LEMONADE_BUGS, "KNOWN LEMONADE BUG"), (DOVECOT_DEVIATIONS, "DOVECOT DEVIATION")):
        for key, why in table.items():
            if isinstance(key, tuple):
                continue
            if key not in RULES:
                failures.append("%s %s: no such rule" % (label, key))
            elif fired.get(key):
                expected.append((label, "EXPECTED FAILURE (%s) %s, applied %d times (%s): %s"
                                 % (label, key, len(fired[key]), ", ".join(fired[key][:6])
                                    + (" ..." if len(fired[key]) > 6 else ""), why)))
            elif not args.only:
                failures.append("%s %s no longer applies anywhere: remove the entry (%s)" % (label, key, why))
    allowed = ["%s, applied %d times: %s" % (name, len(fired[name]), why)
               for name, why in ALLOWED_RULES.items() if fired.get(name)]
    for name in RULES:
        if name not in KNOWN_LEMONADE_BUGS and name not in DOVECOT_DEVIATIONS and name not in ALLOWED_RULES:
            failures.append("rule %s is in neither KNOWN_LEMONADE_BUGS nor DOVECOT_DEVIATIONS" % name)

    for label in ("KNOWN LEMONADE BUG", "DOVECOT DEVIATION"):
        listed = [text for l, text in expected if l == label]
        if listed:
            print("\n==== %d %sS (expected failures; see %s in %s) ====" % (
                len(listed), label, "KNOWN_LEMONADE_BUGS" if label.startswith("KNOWN") else "DOVECOT_DEVIATIONS",
                os.path.basename(__file__)))
            for text in listed:
                print("\n" + text)
    if allowed:
        print("\n==== allowed differences (README) ====")
        for text in allowed:
            print(text)
    if failures:
        print("\n==== FAILURES ====")
    for f in failures:
        print("\n" + f)
    print("\n%d scripts, %d expected failures, %d failures, %.1f s"
          % (len(scripts), len(expected), len(failures), time.time() - started))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
