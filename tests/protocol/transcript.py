#!/usr/bin/env python3
"""Runs one IMAP transcript against a fresh Lemonade server and compares
every server line exactly (STYLE.md §7).

Usage: transcript.py --lemonade BIN FILE.t

Format, one directive per line (blank lines and lines starting with '#'
are ignored):

  !user NAME PASSWORD   create a user before the server starts
                        (default: demo / secret)
  !protocol submission  connections go to the submission port (and
                        "tls" ones to the implicit-TLS submission port);
                        server lines are SMTP replies (no literals)
  !protocol lmtp        the same for the LMTP port
  !option KEY=VALUE     a server config override (-o)
  !connect N [tls|plain [imap|submission]]
                        open connection N (1 is opened at the start) to
                        the transcript's protocol or the one named; its
                        greeting must then be matched by an S line
  C: text  / CN: text   send text + CRLF on connection 1 / N
  S: text  / SN: text   expect exactly this line from connection 1 / N
  !raw N EXPRESSION     send bytes: a Python bytes expression, e.g. b"x" * 9
  !starttls N           start TLS on connection N (after its OK)
  !close N              close connection N
  !closed N             expect the server to close connection N
  !sleep SECONDS        wait (only to let another connection act first)
  !poll N SECONDS COMMAND == LINE
                        IMAP: send COMMAND (tagged pollK) on connection N
                        every 0.1 s until one of its untagged responses is
                        exactly LINE (mail that the queue delivers in the
                        background, say); fails after SECONDS
  !differ A B           the values bound to ${A} and ${B} differ

In S lines, ${name} matches one token (no space, ']' or ')') and binds it;
a later ${name} must match the same value. In C lines, ${name} is replaced
by the value bound (a UIDVALIDITY for QRESYNC, say). A literal the server sends
shows inline as {n} (or ~{n}, RFC 3516 literal8) followed by its octets
with CR, LF and NUL written as \\r, \\n and \\0. Before each client line
and at the end, no unexpected output may be waiting: an extra untagged
response fails the test.
"""

import argparse

import os
import re
import select
import socket
import ssl
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402

READ_TIMEOUT = 15.0


class Failure(Exception):
    pass


class Connection:
    def __init__(self, sock, imap=True):
        self.sock = sock
        self.buf = b""
        self.imap = imap

    def send(self, data):
        self.sock.sendall(data)

    def _fill(self, timeout):
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r and not (isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()):
            return False
        # Readable may mean only TLS records without data (session tickets).
        self.sock.setblocking(False)
        try:
            chunk = self.sock.recv(65536)
        except (ssl.SSLWantReadError, BlockingIOError):
            return False
        finally:
            self.sock.setblocking(True)
        if not chunk:
            raise EOFError
        self.buf += chunk
        return True

    def read_line(self):
        deadline = time.time() + READ_TIMEOUT
        while b"\r\n" not in self.buf:
            if time.time() > deadline:
                raise Failure("timed out waiting for a line; have %r" % self.buf)
            self._fill(0.2)
        line, self.buf = self.buf.split(b"\r\n", 1)
        # A literal: read its octets and the rest of the line.
        m = re.search(rb"\{(\d+)\}$", line) if self.imap else None
        while m:
            n = int(m.group(1))
            while len(self.buf) < n:
                if time.time() > deadline:
                    raise Failure("timed out in a literal")
                self._fill(0.2)
            data, self.buf = self.buf[:n], self.buf[n:]
            while b"\r\n" not in self.buf:
                self._fill(0.2)
            rest, self.buf = self.buf.split(b"\r\n", 1)
            line += data.replace(b"\r", b"\\r").replace(b"\n", b"\\n").replace(b"\0", b"\\0") + rest
            m = re.search(rb"\{(\d+)\}$", rest)
        return line.decode("utf-8", errors="backslashreplace")

    def pending_output(self):
        if self.buf:
            return True
        try:
            return self._fill(0.05)
        except EOFError:
            return False


def compile_expectation(text, bound):
    pattern = ""
    names = []
    pos = 0
    for m in re.finditer(r"\$\{(\w+)\}", text):
        pattern += re.escape(text[pos:m.start()])
        name = m.group(1)
        if name in bound:
            pattern += re.escape(bound[name])
        elif name in names:
            pattern += "(?P=%s)" % name
        else:
            pattern += r"(?P<%s>[^ \])]+)" % name
            names.append(name)
        pos = m.end()
    pattern += re.escape(text[pos:])
    return re.compile(pattern + r"\Z")


def parse(path):
    steps, users, options, protocol, proxies = [], {}, [], ["imap"], []
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            m = re.match(r"([CS])(\d*): ?(.*)\Z", line)
            if m:
                steps.append((n, m.group(1), int(m.group(2) or 1), m.group(3)))
                continue
            words = line.split(None, 2)
            if words[0] == "!user":
                users[words[1]] = words[2]
            elif words[0] == "!proxy":
                # !proxy USER LABEL PASSWORD [ALLOWANCES]
                proxies.append(tuple(line.split()[1:]))
            elif words[0] == "!option":
                options.append(line.split(None, 1)[1])
            elif words[0] == "!protocol":
                protocol[0] = words[1]
            elif words[0] in ("!connect", "!raw", "!starttls", "!close", "!closed", "!sleep", "!differ", "!poll"):
                steps.append((n, words[0], line.split(None, 1)[1] if len(words) > 1 else "", None))
            else:
                raise Failure("%s:%d: unknown directive %r" % (path, n, line))
    return steps, users or {"demo": "secret"}, options, protocol[0], proxies


def open_connection(server, tls, protocol="imap"):
    if protocol == "submission":
        port = server.submissions_port if tls else server.submission_port
    elif protocol == "lmtp":
        port = server.lmtp_port
    else:
        port = server.imaps_port if tls else server.imap_port
    sock = socket.create_connection(("127.0.0.1", port), timeout=READ_TIMEOUT)
    if tls:
        ctx = ssl.create_default_context(cafile=server.cert)
        ctx.check_hostname = False
        sock = ctx.wrap_socket(sock)
    return Connection(sock, imap=protocol == "imap")


def run(path, binary):
    steps, users, options, protocol, proxies = parse(path)
    bound = {}
    polls = 0
    with LemonadeServer(binary, users=users, options=options, proxies=proxies) as server:
        conns = {1: open_connection(server, False, protocol)}
        for lineno, kind, n, text in steps:
            where = "%s:%d" % (os.path.basename(path), lineno)
            try:
                if kind == "C":
                    for c in conns.values():
                        if c.pending_output():
                            raise Failure("unexpected output before this command: %r" % c.read_line())
                    text = re.sub(r"\$\{(\w+)\}", lambda m: bound[m.group(1)], text)
                    conns[n].send(text.encode("utf-8") + b"\r\n")
                elif kind == "S":
                    got = conns[n].read_line()
                    m = compile_expectation(text, bound).match(got)
                    if not m:
                        raise Failure("expected: %s\n     got: %s" % (text, got))
                    bound.update(m.groupdict())
                elif kind == "!connect":
                    parts = n.split()
                    proto = parts[2] if len(parts) > 2 else protocol
                    conns[int(parts[0])] = open_connection(server, len(parts) > 1 and parts[1] == "tls", proto)
                elif kind == "!raw":
                    num, data = n.split(None, 1)
                    conns[int(num)].send(eval(data, {"__builtins__": {}}, {}))  # bytes expressions: b"x" * 100
                elif kind == "!starttls":
                    c = conns[int(n)]
                    ctx = ssl.create_default_context(cafile=server.cert)
                    ctx.check_hostname = False
                    c.sock = ctx.wrap_socket(c.sock)
                elif kind == "!close":
                    conns.pop(int(n)).sock.close()
                elif kind == "!closed":
                    c = conns[int(n)]
                    try:
                        extra = c.read_line()
                        raise Failure("expected the connection to close, got %r" % extra)
                    except EOFError:
                        conns.pop(int(n))
                elif kind == "!differ":
                    a, b = n.split()
                    if bound[a] == bound[b]:
                        raise Failure("${%s} and ${%s} are both %s" % (a, b, bound[a]))
                elif kind == "!sleep":
                    time.sleep(float(n))
                elif kind == "!poll":
                    num, seconds, rest = n.split(None, 2)
                    command, _, want = rest.partition(" == ")
                    deadline = time.time() + float(seconds)
                    while True:
                        polls += 1
                        tag = "poll%d" % polls
                        conns[int(num)].send(("%s %s\r\n" % (tag, command)).encode("utf-8"))
                        lines = []
                        while True:
                            got = conns[int(num)].read_line()
                            if got.startswith(tag + " "):
                                break
                            lines.append(got)
                        if want in lines:
                            break
                        if time.time() > deadline:
                            raise Failure("no %r within %s s; last: %r" % (want, seconds, lines))
                        time.sleep(0.1)
            except EOFError:
                raise Failure("%s: connection closed by the server" % where)
            except Failure as e:
                raise Failure("%s: %s" % (where, e))
        for num, c in conns.items():
            if c.pending_output():
                raise Failure("unexpected output at the end on connection %d: %r" % (num, c.read_line()))
        for c in conns.values():
            c.sock.close()
        if server.proc.poll() is not None:
            raise Failure("server died:\n" + server.log()[-4000:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    ap.add_argument("file")
    args = ap.parse_args()
    try:
        run(args.file, args.lemonade)
    except Failure as e:
        print("FAIL", e)
        return 1
    print("PASS", os.path.basename(args.file))
    return 0


if __name__ == "__main__":
    sys.exit(main())
