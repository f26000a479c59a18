#!/usr/bin/env python3
"""Differential test of RFC 3516 BINARY over a generated corpus: the same
messages (single-part and nested multipart, 7bit, 8bit, quoted-printable
and base64 parts, text and random binary data with NULs, message/rfc822)
appended to Lemonade and to a throwaway Dovecot; for every leaf part of
every message, FETCH BINARY.PEEK[part] must give the same octets on both,
and those must be the part's content before it was encoded (what the
generator put in). About one part in twelve is large (300-700 KB), so
the decoding while streaming is compared too, and a <partial> range of
every part is checked against the content. BINARY.SIZE is compared with the length on Lemonade
only: Debian's Dovecot 2.3 answers it NO [UNKNOWN-CTE] (listed in
test_dovecot_diff.py's deviations).

Usage: test_binary_corpus.py --lemonade BIN [--messages N] [--seed S]"""

import argparse
import base64
import os
import quopri
import random
import re
import socket
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402
from dovecot_server import Dovecot  # noqa: E402

USER, PASSWORD = "bin", "bin-pass"
WORDS = ["mail", "phone", "Grüße", "naïve", "café", "über", "line", "=", "tab\there", "x" * 90]


def text(rnd, lines):
    out = []
    for _ in range(lines):
        out.append(" ".join(rnd.choice(WORDS) for _ in range(rnd.randint(1, 12))))
    return ("\r\n".join(out) + "\r\n").encode()


def encode(rnd, content, binary_ok):
    """(Content-Transfer-Encoding, encoded body) for content."""
    if binary_ok:
        # Binary data goes as base64 (quoted-printable would have to
        # encode its CR and LF octets, which real mailers do not do).
        return "base64", base64.encodebytes(content).replace(b"\n", b"\r\n")
    choices = ["base64", "quoted-printable"]
    if not binary_ok and all(b < 128 for b in content) and max(map(len, content.split(b"\r\n"))) < 900:
        choices.append("7bit")
    elif not binary_ok and b"\0" not in content and max(map(len, content.split(b"\r\n"))) < 900:
        choices.append("8bit")
    cte = rnd.choice(choices)
    if cte == "base64":
        return cte, base64.encodebytes(content).replace(b"\n", b"\r\n")
    if cte == "quoted-printable":
        return cte, quopri.encodestring(content.replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n")
    return cte, content


def leaf(rnd, path, parts):
    """A leaf entity: its MIME header + body; records (path, content)."""
    # One part in twelve is large (above the 256 KiB from which Lemonade
    # decodes while it sends, not in memory).
    large = rnd.random() < 1 / 12
    if rnd.random() < 0.5:
        content = text(rnd, rnd.randint(5000, 9000) if large else rnd.randint(1, 30))
        ctype = "text/plain; charset=utf-8"
        binary = False
    else:
        n = rnd.randint(300_000, 700_000) if large else rnd.randint(1, 3000)
        content = rnd.randbytes(n)
        ctype = "application/octet-stream"
        binary = True
    cte, body = encode(rnd, content, binary)
    parts.append((path, content))
    head = "Content-Type: %s\r\nContent-Transfer-Encoding: %s\r\n\r\n" % (ctype, cte)
    return head.encode() + body


def entity(rnd, path, parts, depth):
    """A body part at path (a list of numbers): a leaf, a multipart, or a
    message/rfc822; returns its octets (MIME header included)."""
    kind = rnd.random() if depth < 3 else 0
    if kind < 0.6:
        return leaf(rnd, path, parts)
    if kind < 0.85:
        boundary = "b%d_%d" % (depth, rnd.getrandbits(32))
        n = rnd.randint(1, 3)
        out = b"Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n" % boundary.encode()
        for i in range(n):
            out += b"--%s\r\n" % boundary.encode() + entity(rnd, path + [i + 1], parts, depth + 1) + b"\r\n"
        return out + b"--%s--\r\n" % boundary.encode()
    # message/rfc822: its parts are numbered below this one (RFC 3501 §6.4.5).
    inner = message(rnd, path, parts, depth + 1)
    return b"Content-Type: message/rfc822\r\n\r\n" + inner


def message(rnd, path, parts, depth):
    head = b"From: a@example.org\r\nSubject: corpus %d\r\nMIME-Version: 1.0\r\n" % rnd.getrandbits(16)
    if rnd.random() < 0.3 or depth >= 3:
        # A single-part message: its body is part 1 (of the message at path).
        return head + leaf(rnd, path + [1], parts)
    boundary = "m%d_%d" % (depth, rnd.getrandbits(32))
    out = head + b"Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n" % boundary.encode()
    for i in range(rnd.randint(1, 4)):
        out += b"--%s\r\n" % boundary.encode() + entity(rnd, path + [i + 1], parts, depth + 1) + b"\r\n"
    return out + b"--%s--\r\n" % boundary.encode()


class Conn:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.buf = b""
        self.n = 0
        self.response()
        self.command(b"LOGIN %s %s" % (USER.encode(), PASSWORD.encode()))

    def fill(self):
        d = self.s.recv(1 << 16)
        if not d:
            raise ConnectionError("closed")
        self.buf += d

    def response(self):
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self.fill()
            line, self.buf = self.buf.split(b"\r\n", 1)
            out += line + b"\r\n"
            m = re.search(rb"~?\{(\d+)\}$", line)
            if not m:
                return out
            n = int(m.group(1))
            while len(self.buf) < n:
                self.fill()
            out += self.buf[:n]
            self.buf = self.buf[n:]

    def command(self, text, literal=None):
        self.n += 1
        tag = b"t%d" % self.n
        data = tag + b" " + text
        if literal is not None:
            data += b" {%d+}\r\n" % len(literal) + literal
        self.s.sendall(data + b"\r\n")
        lines = []
        while True:
            r = self.response()
            if r.startswith(tag + b" "):
                if not r.startswith(tag + b" OK"):
                    raise AssertionError("%r -> %r" % (text[:80], r[:200]))
                return lines
            lines.append(r)


def item(lines, name):
    """The octets of FETCH item `name` (a literal, literal8 or quoted
    string), or a number."""
    for r in lines:
        i = r.find(name + b" ")
        if i < 0:
            continue
        rest = r[i + len(name) + 1:]
        m = re.match(rb"~?\{(\d+)\}\r\n", rest)
        if m:
            return rest[m.end():m.end() + int(m.group(1))]
        m = re.match(rb'"((?:[^"\\]|\\.)*)"', rest)
        if m:
            return re.sub(rb"\\(.)", rb"\1", m.group(1))
        m = re.match(rb"(\d+|NIL)", rest)
        if m:
            return m.group(1)
    raise AssertionError("no %r in %r" % (name, lines[:2]))


def binaries(port, corpus):
    c = Conn(port)
    for msg, _ in corpus:
        c.command(b"APPEND INBOX", msg)
    c.command(b"SELECT INBOX")
    out = {}
    for i, (_, parts) in enumerate(corpus):
        for path, _ in parts:
            sec = ".".join(map(str, path)).encode()
            try:
                lines = c.command(b"FETCH %d (BINARY.PEEK[%s])" % (i + 1, sec))
                out[(i, sec)] = item(lines, b"BINARY[%s]" % sec)
            except AssertionError as e:
                out[(i, sec)] = str(e).encode()  # a NO: compared, and so reported

    return c, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    ap.add_argument("--messages", type=int, default=60)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    corpus = []
    for _ in range(args.messages):
        parts = []
        corpus.append((message(rnd, [], parts, 0), parts))
    users = {USER: PASSWORD}
    failures = []
    with LemonadeServer(args.lemonade, users=users) as lem, Dovecot(users) as dov:
        lc, lout = binaries(lem.imap_port, corpus)
        dc, dout = binaries(dov.imap_port, corpus)
        checked = 0
        for i, (_, parts) in enumerate(corpus):
            for path, content in parts:
                sec = ".".join(map(str, path)).encode()
                got, theirs = lout[(i, sec)], dout[(i, sec)]
                if got != content:
                    failures.append("message %d part %s: Lemonade's BINARY is not the content (%d vs %d octets)" % (
                        i + 1, sec.decode(), len(got), len(content)))
                if got != theirs:
                    failures.append("message %d part %s: Lemonade and Dovecot differ (%d vs %d octets)" % (
                        i + 1, sec.decode(), len(got), len(theirs)))
                # RFC 3516 §4.2: "the <partial> arguments refer to the
                # DECODED section data".
                origin, length = len(content) // 3, 100_000
                part = item(lc.command(b"FETCH %d BINARY.PEEK[%s]<%d.%d>" % (i + 1, sec, origin, length)),
                            b"BINARY[%s]<%d>" % (sec, origin))
                if part != content[origin:origin + length]:
                    failures.append("message %d part %s: BINARY<%d.%d> is not that part of the content" % (
                        i + 1, sec.decode(), origin, length))
                size = item(lc.command(b"FETCH %d BINARY.SIZE[%s]" % (i + 1, sec)), b"BINARY.SIZE[%s]" % sec)
                if int(size) != len(got):
                    failures.append("message %d part %s: BINARY.SIZE %s, BINARY %d octets" % (
                        i + 1, sec.decode(), size.decode(), len(got)))
                checked += 1
        large = sum(1 for _, parts in corpus for _, content in parts if len(content) > 256 * 1024)
        print("%d parts of %d messages compared, %d of them large" % (checked, len(corpus), large))
    for f in failures[:30]:
        print("FAIL", f)
    if failures:
        sys.exit(1)
    print("ok")


if __name__ == "__main__":
    main()
