#!/usr/bin/env python3
"""Forward without download (issue 13; RFC 5550 §5.7, RFC 4469, RFC 4467)
against Lemonade and Dovecot (Debian dovecot-imapd) on loopback, one after
the other: a phone forwards a message that carries a 5 MB attachment.

Per server, INBOX gets the original: a short text part and an attachment of
BENCH_FWD_MB megabytes (random octets, base64). Then, BENCH_REPS times, each
as a new connection from connect to the tagged LOGOUT response:

  download   the classic client: FETCH the whole message, APPEND the
             forward (new header, its text, the original as message/rfc822)
             to Drafts.
  catenate   APPEND Drafts CATENATE (TEXT new header and text, URL of the
             original): the attachment never crosses the air.
  append     APPEND of the same bytes the catenate run built, as one
             literal (the same work on the server for the store, only the
             client sends it all): CATENATE must not be slower.
  urlauth    (servers advertising URLAUTH) catenate, then GENURLAUTH for the
             new message with submit+USER access: what a phone does before
             BURL (issue 14). Debian's Dovecot offers URLAUTH only with a
             separate imap-urlauth service, so this row is Lemonade's alone.

Printed per server and variant: octets the client sent and received, round
trips (commands that waited for an answer), and wall time (median of the
runs). Every forward is checked: the message CATENATE built must equal, octet
for octet, the one the download client built. Aim (issue 13): the client
sends < 2 KB for the forward; CATENATE of the 5 MB part not slower than the
APPEND of the same bytes."""

import argparse
import os
import random
import re
import base64
import shutil
import socket
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import PASSWORD, Dovecot  # noqa: E402
from mixed import MixedLemonade  # noqa: E402

USER = "mixed"
SERVERS = ("lemonade", "dovecot")
BOUNDARY = b"=_fwd_boundary"


class Session:
    """A blocking client that counts octets both ways and round trips."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=600)
        self.sent = self.received = self.trips = 0
        self.buf = b""
        self.n = 0
        self.read_line()  # greeting
        self.command(b"LOGIN %s %s" % (USER.encode(), PASSWORD.encode()))

    def send(self, data):
        self.sock.sendall(data)
        self.sent += len(data)

    def fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("closed")
        self.received += len(data)
        self.buf += data

    def read_line(self):
        """One response with its literals."""
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

    def command(self, text, literals=()):
        """Sends text (literals as LITERAL+); returns (status, responses)."""
        self.n += 1
        tag = b"f%d" % self.n
        data = tag + b" " + text
        for lit in literals:
            data += b" {%d+}\r\n" % len(lit) + lit
        self.send(data + b"\r\n")
        self.trips += 1
        lines = []
        while True:
            line = self.read_line()
            if line.startswith(tag + b" "):
                return line.split(b" ", 2)[1], lines, line
            lines.append(line)

    def close(self):
        self.command(b"LOGOUT")
        self.sock.close()


def original(mb):
    rnd = random.Random(1)
    blob = bytes(rnd.getrandbits(8) for _ in range(mb * 1024 * 1024))
    b64 = base64.encodebytes(blob).replace(b"\n", b"\r\n")
    return (b"From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: the report\r\n"
            b"Date: Thu, 3 Dec 2026 10:00:00 +0000\r\nMessage-ID: <report@example.org>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"orig\"\r\n\r\n--orig\r\nContent-Type: text/plain\r\n\r\n"
            b"Here is the report.\r\n--orig\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
            b"Content-Transfer-Encoding: base64\r\n\r\n" + b64 + b"--orig--\r\n")


def forward_head(run):
    # A header of its own per forward: no two forwards have the same
    # octets, so none is stored by reference to an earlier one's file.
    return (b"From: Bob <bob@example.org>\r\nTo: carol@example.org\r\nSubject: Fwd: the report\r\n"
            b"X-Bench-Forward: %s\r\n" % run.encode() +
            b"Date: Thu, 3 Dec 2026 11:00:00 +0000\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: multipart/mixed; boundary=\"" + BOUNDARY + b"\"\r\n\r\n--" + BOUNDARY +
            b"\r\nContent-Type: text/plain\r\n\r\nCarol, see below.\r\n--" + BOUNDARY +
            b"\r\nContent-Type: message/rfc822\r\n\r\n")


def forward_tail():
    return b"\r\n--" + BOUNDARY + b"--\r\n"


def append_uid(line):
    m = re.search(rb"APPENDUID (\d+) (\d+)", line)
    return (int(m.group(1)), int(m.group(2))) if m else None


def fetch_body(port, uid):
    s = Session(port)
    s.command(b"SELECT Drafts")
    st, lines, _ = s.command(b"UID FETCH %d BODY.PEEK[]" % uid)
    s.close()
    for line in lines:
        m = re.search(rb"BODY\[\] \{(\d+)\}\r\n", line)
        if m:
            start = m.end()
            return line[start:start + int(m.group(1))]
    raise RuntimeError("no body for UID %d" % uid)


def run_variant(port, variant, src_uid, inbox_uv, caps, run):
    head = forward_head(run)
    t0 = time.perf_counter()
    s = Session(port)
    new_uid = None
    if variant == "download":
        s.command(b"SELECT INBOX")
        st, lines, _ = s.command(b"UID FETCH %d BODY.PEEK[]" % src_uid)
        body = re.search(rb"\{(\d+)\}\r\n", lines[0])
        msg = lines[0][body.end():body.end() + int(body.group(1))]
        st, _, line = s.command(b"APPEND Drafts", [head + msg + forward_tail()])
    elif variant == "append":
        st, _, line = s.command(b"APPEND Drafts", [variant_data["built"].replace(variant_data["head"], head, 1)])
    else:
        url = b"/INBOX;UIDVALIDITY=%d/;UID=%d" % (inbox_uv, src_uid)
        st, _, line = s.command(b"APPEND Drafts CATENATE (TEXT {%d+}\r\n%s URL \"%s\" TEXT {%d+}\r\n%s)" % (
            len(head), head, url, len(forward_tail()), forward_tail()))
        if st == b"OK" and variant == "urlauth":
            uv, uid = append_uid(line)
            rump = b"imap://%s@localhost/Drafts;UIDVALIDITY=%d/;UID=%d;URLAUTH=submit+%s" % (
                USER.encode(), uv, uid, USER.encode())
            st, _, line2 = s.command(b"GENURLAUTH \"%s\" INTERNAL" % rump)
            if st != b"OK":
                raise RuntimeError("GENURLAUTH: %r" % line2)
    if st != b"OK":
        raise RuntimeError("%s: %r" % (variant, line))
    new_uid = append_uid(line)[1]
    s.close()
    return {"sent": s.sent, "received": s.received, "trips": s.trips, "seconds": time.perf_counter() - t0,
            "uid": new_uid}


variant_data = {}


def run_server(args, server, res):
    s = Session(server.port)
    st, _, line = s.command(b"CAPABILITY")
    caps = set()
    for ln in _:
        if ln.startswith(b"* CAPABILITY"):
            caps = set(ln.split()[2:])
    s.command(b"CREATE Drafts")  # NO where it exists already
    st, _, line = s.command(b"APPEND INBOX", [original(args.mb)])
    uv, src = append_uid(line)
    s.close()
    variants = ["download", "catenate", "append"] + (["urlauth"] if b"URLAUTH" in caps else [])
    if b"CATENATE" not in caps:
        variants = ["download"]
    out = res.setdefault(server.name, {})
    for r in range(args.reps):
        for v in variants:
            # Let the last run's writes reach the disk before the next is
            # timed: each variant stores ~BENCH_FWD_MB * 1.4 MB.
            time.sleep(args.settle)
            run = "%d %s" % (r, v)
            m = run_variant(server.port, v, src, uv, caps, run)
            if v == "download":
                variant_data["reference"] = fetch_body(server.port, m["uid"]).replace(forward_head(run), b"", 1)
            if v == "catenate":
                built = fetch_body(server.port, m["uid"])
                if built.replace(forward_head(run), b"", 1) != variant_data["reference"]:
                    raise RuntimeError("%s: the CATENATE forward differs from the downloaded one" % server.name)
                variant_data["built"], variant_data["head"] = built, forward_head(run)
            out.setdefault(v, []).append(m)


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                       "build-bench", "lemonade"))
    ap.add_argument("--mb", type=int, default=int(env("BENCH_FWD_MB", "5")), help="attachment size, MB")
    ap.add_argument("--reps", type=int, default=int(env("BENCH_REPS", "5")))
    ap.add_argument("--servers", default=env("BENCH_FWD_SERVERS", "lemonade,dovecot"))
    ap.add_argument("--settle", type=float, default=float(env("BENCH_FWD_SETTLE", "1")),
                    help="seconds between runs")
    args = ap.parse_args()
    res = {}
    work = tempfile.mkdtemp(prefix="lemonade-forward-")
    os.chmod(work, 0o755)
    try:
        lem = MixedLemonade(args.lemonade, work)
        dov = Dovecot(work, lem.hashes())
        for server in (lem, dov):
            if server.name not in args.servers.split(","):
                continue
            variant_data.clear()
            print("bench: forward, %s" % server.name, file=sys.stderr, flush=True)
            server.start()
            try:
                run_server(args, server, res)
            finally:
                server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("Forward of a message with a %d MB attachment (median of %d runs)" % (args.mb, args.reps))
    print("%-9s %-9s %12s %12s %6s %9s" % ("server", "variant", "sent", "received", "trips", "ms"))
    med = {}
    for name, variants in res.items():
        for v, runs in variants.items():
            row = {k: statistics.median(r[k] for r in runs) for k in ("sent", "received", "trips", "seconds")}
            med[(name, v)] = row
            print("%-9s %-9s %12d %12d %6d %9.1f" % (name, v, row["sent"], row["received"], row["trips"],
                                                  1000 * row["seconds"]))
    for name in res:
        c, a = med.get((name, "catenate")), med.get((name, "append"))
        if c and a:
            print("%s: CATENATE sends %d octets (aim < 2048); CATENATE/APPEND time %.2f (aim <= 1)" % (
                name, c["sent"], c["seconds"] / a["seconds"]))
    if ("lemonade", "catenate") in med and ("dovecot", "catenate") in med:
        print("CATENATE time lemonade/dovecot: %.2f" % (
            med[("lemonade", "catenate")]["seconds"] / med[("dovecot", "catenate")]["seconds"]))


if __name__ == "__main__":
    main()
