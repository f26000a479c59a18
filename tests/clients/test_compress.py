#!/usr/bin/env python3
"""RFC 4978 COMPRESS=DEFLATE, driven by our own zlib client
(tests/support/imap_deflate.py): raw DEFLATE both ways, a sync flush after
each command.

- Offered only after login (§5: "command-auth =/ compress"); before it the
  command is BAD. §3 Result: "BAD Command unknown, invalid or unknown
  argument, or COMPRESS already active" (so COMPRESS FOO is BAD; Dovecot
  says NO), and "If the server responds NO because it knows that the same
  mechanism is active already ..., it MUST send COMPRESSIONACTIVE": a
  second COMPRESS gets NO [COMPRESSIONACTIVE], as in the RFC's second
  example ("c NO [COMPRESSIONACTIVE] DEFLATE active via TLS") and as
  Dovecot answers. §5: "Implementations MUST accept these strings in a
  case-insensitive fashion": "compress deflate" works.
- §3: "If the server issues an OK response, the server MUST compress
  starting immediately after the CRLF which ends the tagged OK response";
  the client compresses from its next command on.
- Everything else keeps working compressed: SELECT, APPEND with a
  synchronizing literal (continuation request) and with LITERAL+, a
  literal8 APPEND of binary content (RFC 3516), FETCH BODY[] and BINARY[],
  IDLE seeing another session's APPEND, NOOP, LOGOUT's BYE.
- A command sent one compressed octet at a time (each its own TCP
  segment).
- TLS, then COMPRESS (compressed, then encrypted).
- Input that is not DEFLATE closes the connection, with a log line; the
  server serves the next connection.
- A big FETCH is much smaller on the wire than before compression.

Usage: test_compress.py --lemonade BIN"""

import argparse
import os
import socket
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from imap_deflate import DeflateConn  # noqa: E402
from lemonade_server import LemonadeServer  # noqa: E402

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def message(i, extra=b""):
    return (b"From: a@example.org\r\nTo: b@example.org\r\nSubject: compressed %d\r\n"
            b"Message-ID: <deflate-%d@example.org>\r\n\r\nBody %d, the same words again and again.\r\n" % (i, i, i)
            + extra)


def login(srv, tls=False):
    c = DeflateConn(srv.imaps_port if tls else srv.imap_port, tls_cafile=srv.cert if tls else None)
    c.ok(b"LOGIN dora \"deflate pw\"")
    return c


def compressed_session(srv, tls=False):
    c = login(srv, tls)
    _, tagged = c.command(b"COMPRESS DEFLATE")
    check(tagged == b"c%d OK DEFLATE active\r\n" % c.n, "COMPRESS DEFLATE -> %r" % tagged)
    c.start_compress()
    return c


def test_states_and_errors(srv):
    c = DeflateConn(srv.imap_port)
    caps = c.command(b"CAPABILITY")[0][0]
    check(b"COMPRESS=DEFLATE" not in caps, "not offered before login")
    _, tagged = c.command(b"COMPRESS DEFLATE")
    check(tagged.startswith(b"c2 BAD"), "COMPRESS before login is BAD: %r" % tagged)
    c.ok(b"LOGIN dora \"deflate pw\"")
    caps = c.command(b"CAPABILITY")[0][0]
    check(b" COMPRESS=DEFLATE" in caps, "offered after login")
    _, tagged = c.command(b"COMPRESS FOO")
    check(tagged == b"c5 BAD Unknown compression algorithm FOO\r\n", "unknown algorithm: %r" % tagged)
    _, tagged = c.command(b"COMPRESS")
    check(tagged.startswith(b"c6 BAD"), "no algorithm: %r" % tagged)
    # Still uncompressed after the refusals.
    c.ok(b"NOOP")
    _, tagged = c.command(b"compress deflate")
    check(tagged == b"c8 OK DEFLATE active\r\n", "lower case works: %r" % tagged)
    c.start_compress()
    _, tagged = c.command(b"COMPRESS DEFLATE")
    check(tagged == b"c9 NO [COMPRESSIONACTIVE] DEFLATE is already active\r\n", "second COMPRESS: %r" % tagged)
    _, tagged = c.command(b"NOOP")
    check(tagged == b"c10 OK NOOP completed\r\n", "compressed NOOP: %r" % tagged)
    c.close()


def test_commands_compressed(srv, tls):
    name = "TLS + COMPRESS" if tls else "COMPRESS"
    c = compressed_session(srv, tls)
    untagged = c.ok(b"SELECT INBOX")
    check(any(line.endswith(b"EXISTS\r\n") for line in untagged), name + ": SELECT answers")
    # A synchronizing literal: the continuation request comes compressed.
    m1 = message(1)
    _, tagged = c.command(b"APPEND INBOX {%d}" % len(m1), literal=m1)
    check(b"OK [APPENDUID" in tagged, name + ": APPEND with a synchronizing literal: %r" % tagged)
    # LITERAL+: the literal goes with the command.
    m2 = message(2)
    c.n += 1
    tag = b"c%d" % c.n
    c.send(tag + b" APPEND INBOX {%d+}\r\n" % len(m2) + m2 + b"\r\n")
    while True:
        line = c.read_response_line()
        if line.startswith(tag):
            break
    check(b"OK [APPENDUID" in line, name + ": APPEND with LITERAL+: %r" % line)
    # literal8 (RFC 3516 §4.4): NUL and bare CR in a binary part.
    payload = bytes(range(256)) * 4
    m3 = (b"From: a@example.org\r\nSubject: binary\r\nMIME-Version: 1.0\r\n"
          b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n" + payload)
    c.n += 1
    tag = b"c%d" % c.n
    c.send(tag + b" APPEND INBOX ~{%d+}\r\n" % len(m3) + m3 + b"\r\n")
    while True:
        line = c.read_response_line()
        if line.startswith(tag):
            break
    check(b"OK [APPENDUID" in line, name + ": APPEND of a literal8: %r" % line[:80])
    binary_uid = line.split(b"]")[0].split()[-1]
    untagged = c.ok(b"FETCH 1:* (UID BODY.PEEK[])")
    bodies = b"".join(untagged)
    check(m1 in bodies and m2 in bodies, name + ": FETCH BODY[] returns both messages byte for byte")
    untagged = c.ok(b"UID FETCH %s (BINARY.PEEK[1])" % binary_uid)
    got = b"".join(untagged)
    check(payload in got and b"BINARY[1] ~{%d}" % len(payload) in got,
          name + ": FETCH BINARY[1] of the binary part as a literal8")
    c.ok(b"UID STORE 1:* +FLAGS.SILENT (\\Deleted)")
    c.ok(b"EXPUNGE")
    untagged, tagged = c.command(b"LOGOUT")
    check(untagged and untagged[0].startswith(b"* BYE") and b"OK" in tagged, name + ": LOGOUT: BYE, then OK")
    c.close()


def test_idle_sees_append(srv):
    c = compressed_session(srv)
    c.ok(b"SELECT INBOX")
    c.n += 1
    tag = b"c%d" % c.n
    c.send(tag + b" IDLE\r\n")
    check(c.readline().startswith(b"+ "), "IDLE continuation, compressed")
    other = login(srv)
    m = message(10)
    start = time.time()
    other.ok(b"APPEND INBOX {%d}" % len(m), literal=m)
    line = c.readline()
    took = time.time() - start
    check(line.endswith(b" EXISTS\r\n"), "IDLE reports the other session's APPEND: %r" % line)
    check(took < 2, "within %.3f s" % took)
    c.send(b"DONE\r\n")
    while not line.startswith(tag):
        line = c.readline()
    check(line.startswith(tag + b" OK"), "DONE ends IDLE: %r" % line)
    other.close()
    c.close()


def test_octet_at_a_time(srv):
    c = compressed_session(srv)
    wire = c.compressed(b"c100 NOOP\r\n")
    for i in range(len(wire)):
        c.send_raw(wire[i:i + 1])
        time.sleep(0.005)
    line = c.readline()
    check(line == b"c100 OK NOOP completed\r\n", "a command sent one compressed octet at a time: %r" % line)
    c.close()


def test_corrupt_input(srv):
    c = compressed_session(srv)
    c.ok(b"NOOP")
    # BTYPE 11 is reserved (RFC 1951 §3.2.3): not DEFLATE.
    c.send_raw(b"\xff\xff\xff\xff\xff\xff")
    closed = False
    try:
        while True:
            c._fill()
    except (EOFError, ConnectionResetError):
        closed = True
    except socket.timeout:
        closed = False
    check(closed, "invalid compressed input closes the connection")
    deadline = time.time() + 5
    while time.time() < deadline and "event=compress_error" not in srv.log():
        time.sleep(0.05)
    check("event=compress_error" in srv.log(), "and the log says why")
    d = login(srv)
    d.ok(b"NOOP")
    check(True, "the next connection is served")
    d.close()


def test_ratio(srv):
    c = compressed_session(srv)
    c.ok(b"SELECT INBOX")
    for i in range(40):
        m = message(100 + i, b"Some more text that a real message would carry.\r\n" * 10)
        c.ok(b"APPEND INBOX {%d}" % len(m), literal=m)
    wire0, plain0 = c.wire_in, c.plain_in
    c.ok(b"FETCH 1:* (UID FLAGS ENVELOPE BODYSTRUCTURE BODY.PEEK[])")
    wire, plain = c.wire_in - wire0, c.plain_in - plain0
    check(plain > 20000 and wire < plain * 0.3,
          "FETCH of 40 messages: %d octets on the wire for %d (%.0f %%)" % (wire, plain, 100.0 * wire / plain))
    c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    with LemonadeServer(args.lemonade, users={"dora": "deflate pw"},
                        options=["imap.compress_release=0"]) as srv:
        test_states_and_errors(srv)
        test_commands_compressed(srv, tls=False)
        test_commands_compressed(srv, tls=True)
        test_idle_sees_append(srv)
        test_octet_at_a_time(srv)
        test_corrupt_input(srv)
        test_ratio(srv)
        if failures:
            print(srv.log()[-4000:])
    if failures:
        raise SystemExit("%d failed: %s" % (len(failures), failures))
    print("PASS test_compress")


if __name__ == "__main__":
    main()
