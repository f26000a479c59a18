#!/usr/bin/env python3
"""XENCRYPTED cost (issue 16; docs/xencrypted.md): FETCH BODY[] of 100 KB
and 5 MB messages over TLS, Lemonade in the clear, Lemonade after XKEY
(every body an AES-256-GCM object), and Dovecot (Debian dovecot-imapd) in
the clear, one after the other on loopback.

Per server, INBOX holds BENCH_XENC_SMALL messages of 100 KB and
BENCH_XENC_LARGE of 5 MB (random text, the same for both). One client
connects over TLS and, BENCH_REPS times, runs UID FETCH 1:* (BODY.PEEK[])
for each size, reading every octet (it does not decrypt: the server's
work is what is measured). Printed per server, mode and size: MB/s of
message data and the server's CPU seconds per GB served (user + system of
its whole process tree, from /proc), medians of the runs; then Lemonade's
encrypted/plain CPU ratio (aim: < 1.15), and the same for "bare": the
encrypted objects on a connection without TLS (where they replace TLS on
the proxy's link instead of riding inside it); and the server's memory with
BENCH_XENC_SESSIONS sessions open (measured first), plain and after XKEY (aim: the same)."""

import argparse
import os
import random
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import PASSWORD, Dovecot, cpu_seconds, free_port, rss_kb  # noqa: E402
from mixed import MixedLemonade  # noqa: E402

USER = "mixed"


class Client:
    def __init__(self, port, tls):
        raw = socket.create_connection(("127.0.0.1", port), timeout=600)
        if tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            raw = ctx.wrap_socket(raw)
        self.sock, self.buf, self.n = raw, b"", 0
        self.scratch = bytearray(1 << 20)
        self.line()  # greeting
        self.command(b"LOGIN %s %s" % (USER.encode(), PASSWORD.encode()))

    def fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("closed")
        self.buf += data

    def line(self):
        while b"\r\n" not in self.buf:
            self.fill()
        out, self.buf = self.buf.split(b"\r\n", 1)
        return out

    def skip(self, n):
        """Reads and drops n octets (straight into a scratch buffer: the
        client must not be what limits the server)."""
        take = min(n, len(self.buf))
        self.buf = self.buf[take:]
        n -= take
        while n > 0:
            got = self.sock.recv_into(self.scratch, min(n, len(self.scratch)))
            if not got:
                raise ConnectionError("closed")
            n -= got

    def command(self, cmd, literal=None):
        """Sends a command; returns (tagged line, octets of literals read)."""
        self.n += 1
        tag = b"b%d" % self.n
        data = tag + b" " + cmd
        if literal is not None:
            data += b" {%d+}\r\n" % len(literal) + literal
        self.sock.sendall(data + b"\r\n")
        octets = 0
        while True:
            line = self.line()
            if line.endswith(b"}"):
                n = int(line[line.rindex(b"{") + 1:-1].lstrip(b"X").rstrip(b"+"))
                self.skip(n)
                octets += n
                continue
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise RuntimeError(line.decode(errors="replace"))
                return line, octets

    def close(self):
        try:
            self.command(b"LOGOUT")
        except (ConnectionError, OSError, RuntimeError):
            pass
        self.sock.close()


def message(size, rng):
    words = [b"alpha", b"bravo", b"charlie", b"delta", b"echo", b"foxtrot", b"golf", b"hotel"]
    head = b"From: bench@example.org\r\nTo: mixed@example.org\r\nSubject: xenc %d\r\n\r\n" % size
    body = bytearray()
    while len(body) < size:
        body += b" ".join(rng.choice(words) for _ in range(12)) + b"\r\n"
    return head + bytes(body[:size])


def populate(server, sizes):
    c = Client(server.port, False)
    for mailbox, msgs in sizes.items():
        c.command(b"CREATE " + mailbox)
        for m in msgs:
            c.command(b"APPEND " + mailbox, m)
    c.close()


def run_fetch(server, mailbox, key_id, reps, volume, tls=True):
    """[(seconds, server CPU seconds, octets)] of reps runs, each of UID
    FETCH 1:* (BODY.PEEK[]) repeated until volume octets came (CPU time is
    counted in ticks of 10 ms: a run must be long)."""
    c = Client(server.tls_port if tls else server.port, tls)
    if key_id:
        c.command(b"XKEY %s %s" % (key_id.encode(), os.urandom(16).hex().encode()))
    c.command(b"SELECT " + mailbox)
    c.command(b"UID FETCH 1:* (BODY.PEEK[])")  # warm: the page cache, the server's buffers
    out = []
    for _ in range(reps):
        cpu0, t0, total = cpu_seconds(server.pid), time.perf_counter(), 0
        while total < volume:
            total += c.command(b"UID FETCH 1:* (BODY.PEEK[])")[1]
        out.append((time.perf_counter() - t0, cpu_seconds(server.pid) - cpu0, total))
    c.close()
    return out


def session_memory(server, count, key_id):
    """The server's RSS growth (kB) with count TLS sessions logged in and
    INBOX selected (after XKEY when key_id)."""
    before = rss_kb(server.pid)
    clients = []
    for _ in range(count):
        c = Client(server.tls_port, True)
        if key_id:
            c.command(b"XKEY %s %s" % (key_id.encode(), os.urandom(16).hex().encode()))
        c.command(b"SELECT INBOX")
        clients.append(c)
    time.sleep(1)
    grown = rss_kb(server.pid) - before
    for c in clients:
        c.close()
    return grown


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                                       "build-bench", "lemonade"))
    ap.add_argument("--small", type=int, default=int(env("BENCH_XENC_SMALL", "40")), help="100 KB messages")
    ap.add_argument("--large", type=int, default=int(env("BENCH_XENC_LARGE", "4")), help="5 MB messages")
    ap.add_argument("--reps", type=int, default=int(env("BENCH_REPS", "5")))
    ap.add_argument("--sessions", type=int, default=int(env("BENCH_XENC_SESSIONS", "300")))
    ap.add_argument("--mb", type=int, default=int(env("BENCH_XENC_MB", "400")), help="MB fetched per run")
    args = ap.parse_args()
    rng = random.Random(1)
    sizes = {b"small": [message(100 * 1024, rng) for _ in range(args.small)],
             b"large": [message(5 * 1024 * 1024, rng) for _ in range(args.large)]}
    work = tempfile.mkdtemp(prefix="lemonade-xenc-")
    os.chmod(work, 0o755)
    res, mem = {}, {}
    try:
        lem = MixedLemonade(args.lemonade, work)
        lem.tls_port = free_port()  # MixedLemonade serves plain IMAP only; this run needs IMAPS too
        out = subprocess.run([args.lemonade, "key", "add", USER, "bench", "--data-dir", lem.dir],
                             capture_output=True, text=True, check=True)
        key_id = out.stdout.split()[1]
        dov = Dovecot(work, lem.hashes(), tls=True)
        # "bare": encrypted objects on a connection without TLS, where the
        # objects replace TLS on the proxy's link instead of riding in it.
        for server, modes in ((lem, (("plain", None), ("encrypted", key_id), ("bare", key_id))),
                              (dov, (("plain", None),))):
            print("bench: xenc, %s" % server.name, file=sys.stderr, flush=True)
            server.start()
            try:
                # Memory first, on a server that has fetched nothing yet,
                # after one round not counted (the heap's first growth).
                session_memory(server, args.sessions, None)
                for mode, kid in modes[:2]:
                    mem[(server.name, mode)] = session_memory(server, args.sessions, kid)
                populate(server, sizes)
                for mode, kid in modes:
                    for mailbox in sizes:
                        res[(server.name, mode, mailbox.decode())] = run_fetch(server, mailbox, kid, args.reps,
                                                                               args.mb * 1_000_000, mode != "bare")
            finally:
                server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("FETCH BODY[] over TLS, one client (median of %d runs)" % args.reps)
    print("%-9s %-10s %-6s %10s %14s" % ("server", "mode", "size", "MB/s", "CPU s per GB"))
    med = {}
    for (name, mode, size), runs in res.items():
        mbs = statistics.median(r[2] / r[0] / 1e6 for r in runs)
        cpu = statistics.median(r[1] / (r[2] / 1e9) for r in runs)
        med[(name, mode, size)] = cpu
        print("%-9s %-10s %-6s %10.1f %14.2f" % (name, mode, size, mbs, cpu))
    for size in ("small", "large"):
        p, e = med.get(("lemonade", "plain", size)), med.get(("lemonade", "encrypted", size))
        d = med.get(("dovecot", "plain", size))
        b = med.get(("lemonade", "bare", size))
        if p and e:
            print("%s: lemonade encrypted/plain CPU %.2f (aim < 1.15)%s%s" % (
                size, e / p, "; bare (no TLS)/plain %.2f" % (b / p) if b else "",
                "; lemonade plain/dovecot CPU %.2f" % (p / d) if d else ""))
    for (name, mode), kb in mem.items():
        print("%s %s: %d sessions grew the server by %d kB (%.1f kB each)" % (
            name, mode, args.sessions, kb, kb / args.sessions))


if __name__ == "__main__":
    main()
