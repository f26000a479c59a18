#!/usr/bin/env python3
"""`lemonade proxy` benchmark (issue 17): what the proxy costs a client.

Backends: Dovecot from Debian as it is (IDLE, ESEARCH: the proxy relays
octets) and the same Dovecot reduced to IMAP4rev1 (`imap_capability`: the
proxy mediates, docs/proxy.md). For each, in one run:

- latency per command, one client, commands one at a time (NOOP, UID FETCH
  FLAGS, UID FETCH BODY.PEEK[] of a 4 KiB message, UID SEARCH SUBJECT):
  straight to Dovecot and through the proxy; medians and their ratio;
- memory per proxied idle session: N connections, each LOGIN, SELECT,
  IDLE, through the proxy; the proxy's PSS (KiB) per connection, and the
  proxy's memory once they are gone.

Nothing is asserted. See bench/README.md."""

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from idle_memory import memory  # noqa: E402
from servers import PASSWORD, ROOT, Dovecot, free_port, wait_greeting  # noqa: E402

BODY = b"".join(b"line %04d of the benchmark message, some text to carry\r\n" % i for i in range(72))


def say(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


class Client:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.f = self.s.makefile("rb")
        self.n = 0
        self.f.readline()

    def run(self, text, literal=None):
        self.n += 1
        tag = b"b%d" % self.n
        if literal is not None:
            self.s.sendall(tag + b" " + text + b" {%d+}\r\n" % len(literal) + literal + b"\r\n")
        else:
            self.s.sendall(tag + b" " + text + b"\r\n")
        while True:
            line = self.f.readline()
            if not line:
                raise EOFError("connection closed")
            if line.endswith(b"}\r\n") and b"{" in line:
                self.f.read(int(line[line.rindex(b"{") + 1:-3]))
                continue
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise RuntimeError("%r: %r" % (text, line))
                return

    def close(self):
        self.s.close()


def latencies(port, user, rounds):
    c = Client(port)
    c.run(b'LOGIN %s "%s"' % (user.encode(), PASSWORD.encode()))
    c.run(b"SELECT INBOX")
    out = {"NOOP": [], "UID FETCH FLAGS": [], "UID FETCH BODY": [], "UID SEARCH": []}
    cmds = {"NOOP": b"NOOP", "UID FETCH FLAGS": b"UID FETCH %d (FLAGS)", "UID FETCH BODY": b"UID FETCH %d BODY.PEEK[]",
            "UID SEARCH": b"UID SEARCH SUBJECT m%d"}
    for i in range(rounds):
        for name, cmd in cmds.items():
            text = cmd % (1 + i % 100) if b"%d" in cmd else cmd
            t = time.perf_counter()
            c.run(text)
            out[name].append(time.perf_counter() - t)
    c.run(b"LOGOUT")
    c.close()
    return {k: statistics.median(v) * 1e6 for k, v in out.items()}


def proxy_options():
    """BENCH_PROXY_OPTIONS: more `-o key=value` settings for the proxy,
    separated by spaces (e.g. "server.network_threads=1")."""
    out = []
    for kv in os.environ.get("BENCH_PROXY_OPTIONS", "").split():
        out += ["-o", kv]
    return out


class Proxy:
    def __init__(self, binary, work, backend_port):
        self.dir = os.path.join(work, "proxy-%d" % backend_port)
        os.makedirs(self.dir)
        self.port = free_port()
        self.proc = subprocess.Popen([binary, "proxy", "--backend", "imap://127.0.0.1:%d" % backend_port,
                                      "--data-dir", self.dir, "-o", "proxy.listen=127.0.0.1:%d" % self.port,
                                      "-o", "log.level=" + os.environ.get("BENCH_PROXY_LOG", "warn"), *proxy_options()],
                                     stderr=open(os.path.join(self.dir, "proxy.log"), "ab"))
        wait_greeting(self.port, self.proc)
        self.pid = self.proc.pid

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


def idle_memory(proxy, users, n):
    time.sleep(1)
    base = memory(proxy.pid)["pss"]
    conns = []
    for i in range(n):
        c = Client(proxy.port)
        c.run(b'LOGIN %s "%s"' % (users[i % len(users)].encode(), PASSWORD.encode()))
        c.run(b"SELECT INBOX")
        c.s.sendall(b"i IDLE\r\n")
        if not c.f.readline().startswith(b"+ "):
            raise RuntimeError("no IDLE")
        conns.append(c)
    time.sleep(3)
    loaded = memory(proxy.pid)["pss"]
    for c in conns:
        c.s.sendall(b"DONE\r\nz LOGOUT\r\n")
        c.close()
    time.sleep(3)
    after = memory(proxy.pid)["pss"]
    return {"base": base, "per_conn": (loaded - base) / n, "after": after}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", default=os.path.join(ROOT, "build-bench", "lemonade"))
    ap.add_argument("--rounds", type=int, default=int(os.environ.get("BENCH_PROXY_ROUNDS", "500")))
    ap.add_argument("--idle", type=int, default=int(os.environ.get("BENCH_PROXY_IDLE", "300")))
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="lemonade-bench-proxy-")
    os.chmod(work, 0o755)
    users = ["puser%02d" % i for i in range(10)]
    results = {}
    try:
        for variant in ("relayed", "mediated"):
            dc = Dovecot(os.path.join(work, variant), {u: "" for u in users}, plain_passwords=True)
            if variant == "mediated":
                with open(dc.conf, "a") as f:
                    f.write("imap_capability = IMAP4rev1\nmailbox_list_index = no\n")
            dc.start()
            try:
                # 100 messages in each INBOX, subjects m1..m100.
                for u in users[:1]:
                    c = Client(dc.port)
                    c.run(b'LOGIN %s "%s"' % (u.encode(), PASSWORD.encode()))
                    for i in range(100):
                        c.run(b"APPEND INBOX", b"Subject: m%d\r\n\r\n" % (i + 1) + BODY)
                    c.close()
                px = Proxy(args.lemonade, os.path.join(work, variant), dc.port)
                try:
                    direct = latencies(dc.port, users[0], args.rounds)
                    proxied = latencies(px.port, users[0], args.rounds)
                    mem = idle_memory(px, users, args.idle)
                finally:
                    px.stop()
            finally:
                dc.stop()
            results[variant] = (direct, proxied, mem)
            say(variant, "done")
        print("proxy overhead per command (median microseconds, one client, %d rounds)" % args.rounds)
        print("%-10s %-18s %10s %10s %8s" % ("backend", "command", "direct", "proxied", "ratio"))
        for variant, (direct, proxied, _) in results.items():
            for k in direct:
                print("%-10s %-18s %10.0f %10.0f %8.2f" % (variant, k, direct[k], proxied[k], proxied[k] / direct[k]))
        print()
        print("proxy memory per idle session (%d connections, LOGIN SELECT IDLE)" % args.idle)
        print("%-10s %14s %14s %14s" % ("backend", "KiB/session", "base KiB", "after KiB"))
        for variant, (_, _, mem) in results.items():
            print("%-10s %14.1f %14d %14d" % (variant, mem["per_conn"], mem["base"], mem["after"]))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
