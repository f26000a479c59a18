#!/usr/bin/env python3
"""IMAP load generator for bench/run/run.sh: the same workload against any
IMAP server on loopback.

  mailbox  C concurrent clients, each its own user: LOGIN, CREATE 3
           folders, APPEND messages from an mbox corpus (LITERAL+ when
           offered, else synchronizing literals), STATUS each folder,
           LIST, LOGOUT. Prints per-command ops/s and p50/p99 latency as
           JSON on stdout.
  idle     opens K connections, logs each in, prints "READY" and holds
           them until stdin closes.

Python asyncio, one process: good for fsync-bound and idle workloads; the
runner reports its own CPU time so a saturated generator shows.
"""

import argparse
import asyncio
import json
import resource
import statistics
import sys
import time


def load_corpus(path, limit):
    messages, cur = [], []
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b"From ") and cur:
                messages.append(b"".join(cur))
                cur = []
                if len(messages) >= limit:
                    break
                continue
            if line.startswith(b"From "):
                continue
            if line.startswith(b">From "):
                line = line[1:]
            if not line.endswith(b"\r\n"):
                line = line.rstrip(b"\n") + b"\r\n"
            cur.append(line)
    if cur and len(messages) < limit:
        messages.append(b"".join(cur))
    return messages


class Client:
    def __init__(self, reader, writer):
        self.r, self.w, self.n = reader, writer, 0
        self.literal_plus = False

    @classmethod
    async def connect(cls, port):
        r, w = await asyncio.open_connection("127.0.0.1", port, limit=1 << 20)
        c = cls(r, w)
        greeting = await r.readline()
        c.literal_plus = b"LITERAL+" in greeting
        return c

    async def command(self, text, literal=None):
        self.n += 1
        tag = b"t%d" % self.n
        if literal is None:
            self.w.write(tag + b" " + text + b"\r\n")
        elif self.literal_plus:
            self.w.write(tag + b" " + text + b" {%d+}\r\n" % len(literal) + literal + b"\r\n")
        else:
            self.w.write(tag + b" " + text + b" {%d}\r\n" % len(literal))
            await self.w.drain()
            line = await self.r.readline()
            if not line.startswith(b"+"):
                raise RuntimeError("no continuation: %r" % line)
            self.w.write(literal + b"\r\n")
        await self.w.drain()
        while True:
            line = await self.r.readline()
            if not line:
                raise RuntimeError("connection closed")
            if line.startswith(tag + b" "):
                if not line.startswith(tag + b" OK"):
                    raise RuntimeError("%s failed: %r" % (text[:40], line))
                return line
            if line.startswith(b"*") and b"CAPABILITY" in line and b"LITERAL+" in line:
                self.literal_plus = True


async def mailbox_client(port, user, password, corpus, per_client, tag, stats):
    t = time.perf_counter
    c = await Client.connect(port)
    s = t()
    line = await c.command(b'LOGIN %s "%s"' % (user.encode(), password.encode()))
    stats["LOGIN"].append(t() - s)
    c.literal_plus = c.literal_plus or b"LITERAL+" in line
    folders = [b"bench-%s-%d" % (tag.encode(), i) for i in range(3)]
    for f in folders:
        s = t()
        await c.command(b"CREATE " + f)
        stats["CREATE"].append(t() - s)
    for i in range(per_client):
        msg = corpus[(int(user[4:]) * 7 + i) % len(corpus)]
        s = t()
        await c.command(b"APPEND " + folders[i % 3], msg)
        stats["APPEND"].append(t() - s)
    for f in folders:
        s = t()
        await c.command(b"STATUS " + f + b" (MESSAGES UIDNEXT UNSEEN)")
        stats["STATUS"].append(t() - s)
    s = t()
    await c.command(b'LIST "" "*"')
    stats["LIST"].append(t() - s)
    await c.command(b"LOGOUT")
    c.w.close()


def summarize(stats, wall):
    out = {}
    for cmd, lat in stats.items():
        if not lat:
            continue
        lat = sorted(lat)
        out[cmd] = {
            "count": len(lat),
            "ops_per_s": len(lat) / wall,
            "p50_ms": 1000 * lat[len(lat) // 2],
            "p99_ms": 1000 * lat[min(len(lat) - 1, int(len(lat) * 0.99))],
        }
    return out


async def run_mailbox(args):
    corpus = load_corpus(args.corpus, args.corpus_limit)
    stats = {k: [] for k in ("LOGIN", "CREATE", "APPEND", "STATUS", "LIST")}
    start = time.perf_counter()
    await asyncio.gather(*[
        mailbox_client(args.port, "user%02d" % i, args.password, corpus, args.messages, args.tag, stats)
        for i in range(args.clients)])
    wall = time.perf_counter() - start
    total_ops = sum(len(v) for v in stats.values())
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"wall_s": wall, "total_ops_per_s": total_ops / wall,
                      "appended_bytes": sum(len(corpus[(i * 7 + j) % len(corpus)])
                                            for i in range(args.clients) for j in range(args.messages)),
                      "generator_cpu_s": usage.ru_utime + usage.ru_stime,
                      "commands": summarize(stats, wall)}))


async def run_idle(args):
    conns = []
    sem = asyncio.Semaphore(16)

    async def one(i):
        async with sem:
            c = await Client.connect(args.port)
            await c.command(b'LOGIN %s "%s"' % (("user%02d" % (i % args.users)).encode(), args.password.encode()))
            conns.append(c)

    await asyncio.gather(*[one(i) for i in range(args.connections)])
    print("READY %d" % len(conns), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["mailbox", "idle"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--password", default="bench-pass")
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--messages", type=int, default=50, help="APPENDs per client")
    ap.add_argument("--corpus")
    ap.add_argument("--corpus-limit", type=int, default=500)
    ap.add_argument("--tag", default="r0", help="makes folder names unique per run")
    ap.add_argument("--connections", type=int, default=1000)
    ap.add_argument("--users", type=int, default=50)
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(run_mailbox(args) if args.mode == "mailbox" else run_idle(args))


if __name__ == "__main__":
    main()
