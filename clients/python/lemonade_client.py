"""Lemonade's reference client for proxy deployments (docs/xencrypted.md).

A phone's side of XENCRYPTED: it talks IMAP through a proxy it does not
trust, names one of its device keys with XKEY, opens every encrypted
literal the store sends (checking that each is bound to the message, item,
session and account it claims), and encrypts what it appends. Needs only
the standard library and `cryptography` (Debian: python3-cryptography).

    conn = Connection("proxy.example", 143)
    conn.login("alice+phone", "proxy password")      # or as the user
    x = Xenc(conn, "alice", key_id_hex, key)         # `lemonade key add`
    x.start()                                        # XKEY
    x.select("INBOX")
    x.fetch("1:*", "(UID BODY.PEEK[])")              # {uid: {"BODY[]": b"..."}}
    x.append("INBOX", b"From: ...\\r\\n\\r\\nhi\\r\\n")
"""

import base64
import hashlib
import os
import re
import socket
import struct
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

VERSION = 1
HEADER_SIZE = 30
TAG_SIZE = 16
OVERHEAD = HEADER_SIZE + TAG_SIZE
TO_CLIENT = b"S"
TO_SERVER = b"C"


class TamperedError(Exception):
    """An encrypted literal that does not open: changed, truncated, bound to
    another message, item, session or account, or under another key."""


class Binding:
    def __init__(self, account, client_nonce, server_nonce):
        self.account = account.encode() if isinstance(account, str) else account
        self.client_nonce = client_nonce
        self.server_nonce = server_nonce


def session_key(device_key, binding):
    """HKDF-SHA256 (RFC 5869) of the device key, salt client nonce ‖ server
    nonce, info "lemonade-xenc/1": what a session's objects are sealed under."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=binding.client_nonce + binding.server_nonce,
                info=b"lemonade-xenc/1").derive(device_key)


def _counted(b):
    return struct.pack(">H", len(b)) + b


def associated_data(header, binding, context):
    if isinstance(context, str):
        context = context.encode()
    return (b"lemonade-xenc/1" + header + _counted(binding.account) + binding.client_nonce +
            binding.server_nonce + _counted(context))


def seal(key, key_id, seq, binding, context, plain, direction=TO_SERVER):
    nonce = os.urandom(12)
    header = bytes([VERSION]) + direction + key_id + struct.pack(">Q", seq) + nonce
    return header + AESGCM(key).encrypt(nonce, plain, associated_data(header, binding, context))


def open_object(key, key_id, binding, context, obj, direction=TO_CLIENT):
    """(sequence number, plaintext), or TamperedError."""
    if len(obj) < OVERHEAD or obj[0] != VERSION or obj[1:2] != direction:
        raise TamperedError("not a version-1 object of this direction")
    if obj[2:10] != key_id:
        raise TamperedError("under another key: " + obj[2:10].hex())
    header = obj[:HEADER_SIZE]
    seq = struct.unpack(">Q", obj[10:18])[0]
    try:
        plain = AESGCM(key).decrypt(obj[18:30], obj[HEADER_SIZE:], associated_data(header, binding, context))
    except InvalidTag:
        raise TamperedError("the tag does not verify for " + str(context)) from None
    return seq, plain


# --- IMAP responses ---------------------------------------------------------

class Literal(bytes):
    """A literal's octets; .encrypted for ~{X<n>}."""
    encrypted = False


class Quoted(str):
    """A quoted string (atoms are plain str)."""


_LITERAL_AT_END = re.compile(rb"(~?)\{(X?)(\d+)\}\r\n$")


def parse_response(chunks):
    """Parses one response given as [(text, literal-or-None), ...] into a
    list of atoms (str), Quoted, Literal, None (NIL) and nested lists.
    Brackets stay inside their atom (BODY[HEADER.FIELDS (Subject)])."""
    tokens = []
    for text, lit in chunks:
        tokens.append(("text", text))
        if lit is not None:
            tokens.append(("lit", lit))
    out = [[]]
    for kind, val in tokens:
        if kind == "lit":
            out[-1].append(val)
            continue
        s = val.decode("utf-8", "replace")
        i = 0
        while i < len(s):
            c = s[i]
            if c in " \r\n":
                i += 1
            elif c == "(":
                out.append([])
                i += 1
            elif c == ")":
                done = out.pop()
                out[-1].append(done)
                i += 1
            elif c == '"':
                j, buf = i + 1, []
                while s[j] != '"':
                    if s[j] == "\\":
                        j += 1
                    buf.append(s[j])
                    j += 1
                out[-1].append(Quoted("".join(buf)))
                i = j + 1
            else:
                j, depth = i, 0
                while j < len(s) and (depth > 0 or s[j] not in " ()\r\n"):
                    if s[j] == "[":
                        depth += 1
                    elif s[j] == "]":
                        depth -= 1
                    j += 1
                word = s[i:j]
                out[-1].append(None if word == "NIL" else word)
                i = j
    return out[0]


class Connection:
    """A plain IMAP connection (the proxy's side is where TLS ends)."""

    def __init__(self, host, port, timeout=30):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""
        self.raw = bytearray()
        self.untagged_raw = []  # the octets of each untagged response of the last command
        self.n = 0
        self.greeting = self._read_line()

    def _read_line(self):
        while b"\r\n" not in self.buf:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("connection closed")
            self.buf += data
        line, self.buf = self.buf.split(b"\r\n", 1)
        self.raw += line + b"\r\n"
        return line + b"\r\n"

    def _read_exact(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(max(65536, n - len(self.buf)))
            if not data:
                raise ConnectionError("connection closed")
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        self.raw += out
        return out

    def read_response(self):
        """[(text, Literal-or-None), ...] of one response; its octets as
        they came are then in self.raw."""
        chunks = []
        self.raw = bytearray()
        while True:
            line = self._read_line()
            m = _LITERAL_AT_END.search(line)
            if not m:
                chunks.append((line, None))
                return chunks
            lit = Literal(self._read_exact(int(m.group(3))))
            lit.encrypted = m.group(2) == b"X"
            chunks.append((line[:m.start()], lit))

    def command(self, text, literals=(), tail=""):
        """Sends `tag text`, each literal (bytes, or (prefix, bytes) such as
        ("~{X", obj)) appended as a LITERAL+ literal, then `tail`, and
        returns (untagged responses parsed, (status, tagged text))."""
        self.n += 1
        tag = "x%d" % self.n
        data = (tag + " " + text).encode()
        for lit in literals:
            prefix, octets = lit if isinstance(lit, tuple) else ("{", lit)
            data += b" " + prefix.encode() + str(len(octets)).encode() + b"+}\r\n" + octets
        self.sock.sendall(data + tail.encode() + b"\r\n")
        untagged = []
        self.untagged_raw = []
        while True:
            chunks = self.read_response()
            first = chunks[0][0]
            if first.startswith(tag.encode() + b" "):
                rest = b"".join(c[0] for c in chunks)[len(tag) + 1:].decode("utf-8", "replace").rstrip("\r\n")
                status, _, said = rest.partition(" ")
                return untagged, (status, said)
            untagged.append(parse_response(chunks))
            self.untagged_raw.append(bytes(self.raw))

    def login(self, user, password):
        q = lambda s: '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'  # noqa: E731
        _, (status, text) = self.command("LOGIN %s %s" % (q(user), q(password)))
        if status != "OK":
            raise RuntimeError("LOGIN: " + status + " " + text)

    def ended(self, timeout=10):
        """True once the store ends the session (* BYE, or the connection
        closed) within timeout seconds of NOOPs: a revoked key's session."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                untagged, _ = self.command("NOOP")
                if any(r[:2] == ["*", "BYE"] for r in untagged):
                    return True
            except (ConnectionError, OSError):
                return True
            time.sleep(0.2)
        return False

    def close(self):
        try:
            self.command("LOGOUT")
        except (ConnectionError, OSError):
            pass
        self.sock.close()


# What FETCH sends encrypted after XKEY; the structure items are clear
# instead for a proxy identity with clear-envelope.
_CONTENT = re.compile(r"^(BODY\[.*\]|BINARY\[.*\]|RFC822|RFC822\.HEADER|RFC822\.TEXT|PREVIEW)(<\d+(\.\d+)?>)?$")
_STRUCTURE = ("ENVELOPE", "BODY", "BODYSTRUCTURE")


def _norm(label):
    """An item's name in upper case, its section as written (the store
    echoes a section as the request wrote it)."""
    at = label.find("[")
    return label.upper() if at < 0 else label[:at].upper() + label[at:]


def requested_items(items):
    """{label as the response names it: label the object is bound to} for
    the encrypted items of a FETCH item list such as
    "(UID BODY.PEEK[1]<0.100> ENVELOPE)"."""
    out = {}
    for word in parse_response([(items.encode(), None)])[0] if items.startswith("(") else [items]:
        if not isinstance(word, str):
            continue
        word = _norm(word).replace(".PEEK[", "[", 1)
        if not (_CONTENT.match(word) or word in _STRUCTURE):
            continue
        m = re.match(r"^(.*\])<(\d+)\.(\d+)>$", word)
        out[m.group(1) + "<" + m.group(2) + ">" if m else word] = word
    return out


class Xenc:
    """The XENCRYPTED side of a session (docs/xencrypted.md)."""

    def __init__(self, conn, account, key_id_hex, key, clear_envelope=False):
        self.conn = conn
        self.account = account
        self.key_id = bytes.fromhex(key_id_hex)
        self.device_key = key
        self.key = None
        self.clear_envelope = clear_envelope
        self.binding = None
        self.mailbox = None
        self.uidvalidity = None
        self.last_seq = 0   # the last server object's sequence number
        self.unverified = []  # responses before the covered ones of the last sealed command
        self.sent = 0       # ours

    def start(self):
        client_nonce = os.urandom(16)
        _, (status, text) = self.conn.command("XKEY %s %s" % (self.key_id.hex(), client_nonce.hex()))
        m = re.match(r"\[XKEY ([0-9a-f]{16}) ([0-9a-f]{32})\]", text)
        if status != "OK" or not m or m.group(1) != self.key_id.hex():
            raise RuntimeError("XKEY: " + status + " " + text)
        self.binding = Binding(self.account, client_nonce, bytes.fromhex(m.group(2)))
        self.key = session_key(self.device_key, self.binding)
        self.last_seq = 0
        self.sent = 0

    def select(self, mailbox):
        untagged, (status, text) = self.conn.command('SELECT "%s"' % mailbox)
        if status != "OK":
            raise RuntimeError("SELECT: " + status + " " + text)
        # Bound into every object's context, and into seals: a proxy that
        # selects another mailbox in our place is found out by the first
        # object, and cannot make a sealed command act on another mailbox.
        self.mailbox = mailbox
        for r in untagged:
            if len(r) >= 3 and r[1] == "OK" and str(r[2]).startswith("[UIDVALIDITY "):
                self.uidvalidity = int(r[2][len("[UIDVALIDITY "):-1])
        return untagged

    def open(self, context, obj):
        seq, plain = open_object(self.key, self.key_id, self.binding, context, obj)
        # Objects come in the order the store made them: an older one
        # replayed, or two swapped, shows as a sequence number not above
        # the last.
        if seq <= self.last_seq:
            raise TamperedError("sequence number %d after %d" % (seq, self.last_seq))
        self.last_seq = seq
        return plain

    def fetch(self, uids, items):
        """UID FETCH; {uid: {item label: value}} with every encrypted
        literal opened and checked against the mailbox, message and item
        asked for. An item that should be encrypted and is not (a proxy
        putting text of its own in its place), or is missing, raises
        TamperedError; NIL (no such part) is kept as None."""
        wanted = requested_items(items)
        if self.clear_envelope:
            wanted = {k: v for k, v in wanted.items() if k not in _STRUCTURE}
        untagged, (status, text) = self.conn.command("UID FETCH %s %s" % (uids, items))
        if status != "OK":
            raise RuntimeError("FETCH: " + status + " " + text)
        out = {}
        for r in untagged:
            if len(r) < 4 or r[2] != "FETCH":
                continue
            atts = r[3]
            pairs = {_norm(str(k)): v for k, v in zip(atts[0::2], atts[1::2])}
            uid = int(pairs["UID"])
            got = {}
            for label, value in pairs.items():
                if label in wanted and value is not None:
                    if not (isinstance(value, Literal) and value.encrypted):
                        raise TamperedError("%s of UID %d came in the clear" % (label, uid))
                    value = self.open("FETCH %s %d %d %s" % (self.mailbox, self.uidvalidity, uid, wanted[label]),
                                      value)
                got[label] = value
            missing = [label for label in wanted if label not in got]
            if missing:
                raise TamperedError("UID %d came without %s" % (uid, ", ".join(missing)))
            out[uid] = got
        return out

    def seal(self, context, plain):
        self.sent += 1
        return seal(self.key, self.key_id, self.sent, self.binding, context, plain)

    def append(self, mailbox, message, flags=""):
        """APPEND with the message as an encrypted literal."""
        obj = self.seal("APPEND " + mailbox, message)
        flag_text = " (%s)" % flags if flags else ""
        return self.conn.command('APPEND "%s"%s' % (mailbox, flag_text), [("~{X", obj)])

    def sealed(self, command):
        """XSEALED: `command` (without tag or CRLF; literals inside it as
        "{n+}\r\n...") sealed under the session's key. Returns (untagged,
        (status, text)) once the store's sealed answer matched the tagged
        line; TamperedError when it is missing or does not."""
        context = "XSEALED " + ("%s %d" % (self.mailbox, self.uidvalidity) if self.mailbox else "-")
        obj = self.seal(context, command.encode() if isinstance(command, str) else command)
        seq = self.sent
        untagged, (status, text) = self.conn.command("XSEALED", [("~{X", obj)])
        raw = self.conn.untagged_raw
        answers = [r for r in untagged if r[:2] == ["*", "XSEALED"]]
        # The store seals every answer to an object that opens, and ours
        # does: an answer without it (a refusal too) is the proxy's. It is
        # the last untagged response, and it covers those before it: the
        # SHA-256 of their octets, then the tagged line's text.
        if (len(answers) != 1 or untagged[-1] is not answers[0] or not isinstance(answers[0][2], Literal)
                or not answers[0][2].encrypted):
            raise TamperedError("no sealed answer to a sealed command (the store said %s %s)" % (status, text))
        said = self.open("XSEALED %d" % seq, answers[0][2]).decode()
        octets, digest, line = (said.split(" ", 2) + ["", ""])[:3]
        if line != status + " " + text:
            raise TamperedError("the store said %r, the tagged line %r" % (line, status + " " + text))
        # The covered responses are the last ones before the answer, that
        # many octets; any before them (news sent as the command arrived)
        # are not covered, and come back apart as unverified.
        sizes, first, tail = [len(r) for r in raw[:-1]], len(raw) - 1, 0
        while octets.isdigit() and first > 0 and tail < int(octets):
            first -= 1
            tail += sizes[first]
        if not octets.isdigit() or tail != int(octets) or hashlib.sha256(b"".join(raw[first:-1])).hexdigest() != digest:
            raise TamperedError("the untagged responses relayed are not those the store sent")
        self.unverified = untagged[:first]
        return untagged[first:-1], (status, text)

    def catenate(self, mailbox, parts):
        """APPEND CATENATE: parts are ("TEXT", bytes), sent encrypted, or
        ("URL", url)."""
        text = 'APPEND "%s" CATENATE (' % mailbox
        literals, tail = [], ""
        for i, (kind, value) in enumerate(parts, 1):
            sep = "" if i == 1 else " "
            if kind == "TEXT":
                if literals:
                    raise ValueError("one TEXT part, first, in this simple client")
                text += sep + "TEXT"
                literals.append(("~{X", self.seal("CATENATE %s %d" % (mailbox, i), value)))
            else:
                tail += ' URL "%s"' % value if literals or i > 1 else 'URL "%s"' % value
        return self.conn.command(text, literals, tail + ")")


class SealedSubmission:
    """Sealed submission (docs/xencrypted.md) over an smtplib.SMTP
    connection logged in as a proxy identity: XKEY, then one XSEALED
    envelope per message, whose lines the proxy must then send exactly."""

    def __init__(self, smtp, account, key_id_hex, key):
        self.smtp = smtp
        self.account = account
        self.key_id = bytes.fromhex(key_id_hex)
        self.device_key = key
        self.key = self.binding = None
        self.sent = 0

    def start(self):
        client_nonce = os.urandom(16)
        code, msg = self.smtp.docmd("XKEY", "%s %s" % (self.key_id.hex(), client_nonce.hex()))
        m = re.search(r"XKEY ([0-9a-f]{16}) ([0-9a-f]{32})", msg.decode())
        if code != 250 or not m or m.group(1) != self.key_id.hex():
            raise RuntimeError("XKEY: %d %s" % (code, msg.decode()))
        self.binding = Binding(self.account, client_nonce, bytes.fromhex(m.group(2)))
        self.key = session_key(self.device_key, self.binding)
        self.sent = 0

    def object(self, lines):
        """The XSEALED object of an envelope: "MAIL FROM:<...>", "RCPT
        TO:<...>"..., "BURL <url> LAST"."""
        self.sent += 1
        return seal(self.key, self.key_id, self.sent, self.binding, "SUBMIT", "\r\n".join(lines).encode())

    def seal(self, lines):
        return self.smtp.docmd("XSEALED", base64.b64encode(self.object(lines)).decode())

    def check_reply(self, code, msg, seq=None):
        """The BURL LAST's reply, (code, msg) as smtplib gives it: its
        first line must be "[x.y.z] XSEALED <base64>", the store's seal of the rest
        (context "SUBMIT <n>", n the envelope's sequence number). Returns
        (code, the rest); TamperedError when the seal is missing or does
        not match."""
        lines = msg.decode().split("\n")
        m = re.match(r"^(?:\d\.\d{1,3}\.\d{1,3} )?XSEALED (\S+)$", lines[0])
        if not m:
            raise TamperedError("the reply to a sealed submission is not sealed: %d %s" % (code, msg.decode()))
        seq = self.sent if seq is None else seq
        _, said = open_object(self.key, self.key_id, self.binding, "SUBMIT %d" % seq, base64.b64decode(m.group(1)))
        rest = "\n".join(lines[1:])
        if said.decode() != "%d %s" % (code, rest):
            raise TamperedError("the store said %r, the reply %d %s" % (said.decode(), code, rest))
        return code, rest
