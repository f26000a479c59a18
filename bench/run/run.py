#!/usr/bin/env python3
"""Runs the same IMAP workloads against Lemonade and Dovecot (Debian
dovecot-imapd) on loopback, one after the other, and prints medians, spread
and the Lemonade/Dovecot ratio: "mailbox" (APPEND-heavy, a user per
client), "idle" (the servers' total RSS with K logged-in idle connections)
and "mixed" (message access on one shared mailbox, mixed.py); "resync"
(QRESYNC against a full resync, resync.py) on request. BENCH_WORKLOADS
picks them. See bench/README.md."""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import PASSWORD, ROOT, Dovecot, Lemonade, rss_kb  # noqa: E402

LOAD = os.path.join(ROOT, "bench", "load", "imap_load.py")


def mailbox_runs(server, corpus, clients, messages, reps):
    results = []
    for r in range(reps):
        out = subprocess.run([sys.executable, LOAD, "mailbox", "--port", str(server.port), "--password", PASSWORD,
                              "--clients", str(clients), "--messages", str(messages), "--corpus", corpus,
                              "--tag", "c%dr%d" % (clients, r)], capture_output=True, timeout=1800)
        if out.returncode != 0:
            raise RuntimeError("%s: load generator failed:\n%s" % (server.name, out.stderr.decode()[-3000:]))
        results.append(json.loads(out.stdout))
    return results


def idle_rss(server, connections, users):
    base = rss_kb(server.pid)
    gen = subprocess.Popen([sys.executable, LOAD, "idle", "--port", str(server.port), "--password", PASSWORD,
                            "--connections", str(connections), "--users", str(users)],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    line = gen.stdout.readline()
    if not line.startswith(b"READY"):
        raise RuntimeError("idle generator failed: %r" % line)
    time.sleep(2)
    loaded = rss_kb(server.pid)
    gen.stdin.close()
    gen.wait(timeout=120)
    return base, loaded


def med(values):
    return statistics.median(values)


def spread(values):
    m = med(values)
    return statistics.median([abs(v - m) for v in values])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", default=os.path.join(ROOT, "build-bench", "lemonade"))
    ap.add_argument("--clients", default=os.environ.get("BENCH_CLIENTS", "10,50"))
    ap.add_argument("--messages", type=int, default=int(os.environ.get("BENCH_MESSAGES", "40")))
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", "3")))
    ap.add_argument("--idle", type=int, default=int(os.environ.get("BENCH_IDLE", "1000")))
    ap.add_argument("--corpus-count", type=int, default=int(os.environ.get("BENCH_CORPUS", "300")))
    ap.add_argument("--workloads", default=os.environ.get("BENCH_WORKLOADS", "mailbox,idle,mixed"),
                    help="any of mailbox, idle, mixed, resync")
    import mixed
    import resync
    mixed.add_options(ap)
    resync.add_options(ap)
    args = ap.parse_args()
    workloads = set(args.workloads.split(","))
    if workloads - {"mailbox", "idle", "mixed", "resync"}:
        ap.error("unknown workload in %r" % args.workloads)
    if workloads & {"mailbox", "idle"}:
        mailbox_and_idle(args, workloads)
    if "mixed" in workloads:
        mixed.report(args, mixed.run(args))
    if "resync" in workloads and not resync.report(args, resync.run(args)):
        sys.exit(1)  # a server answered a resync wrongly


def mailbox_and_idle(args, workloads):
    clients = [int(c) for c in args.clients.split(",")]
    users = max(clients)

    work = tempfile.mkdtemp(prefix="lemonade-bench-")
    os.chmod(work, 0o755)  # Dovecot's auth and mail processes run as other users
    corpus = os.path.join(work, "corpus.mbox")
    subprocess.run([sys.executable, os.path.join(ROOT, "..", "shared", "tools", "gen-corpus.py"), "--count",
                    str(args.corpus_count), "--seed", "1", "--crlf", "--max-attach", "200000", "--quiet",
                    "--out", corpus], check=True)
    lem = Lemonade(args.lemonade, work, users)
    dov = Dovecot(work, lem.hashes())
    table = {}
    try:
        for server in (lem, dov):
            print("bench: starting %s" % server.name, file=sys.stderr, flush=True)
            server.start()
            try:
                for c in clients if "mailbox" in workloads else []:
                    print("bench: %s C=%d" % (server.name, c), file=sys.stderr, flush=True)
                    table[(server.name, c)] = mailbox_runs(server, corpus, c, args.messages, args.reps)
                if "idle" in workloads:
                    print("bench: %s idle" % server.name, file=sys.stderr, flush=True)
                    table[(server.name, "idle")] = idle_rss(server, args.idle, users)
            finally:
                server.stop()
    except BaseException:
        log = os.path.join(work, "dovecot", "dovecot.log")
        if os.path.exists(log):
            print(open(log).read()[-3000:])
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)

    if "mailbox" in workloads:
        print_mailbox(args, clients, table)
    if "idle" in workloads:
        print_idle(args, table)


def print_mailbox(args, clients, table):
    print("\nWorkload: C clients, each LOGIN, 3 CREATE, %d APPEND (corpus of %d messages, gen-corpus.py seed 1),"
          " 3 STATUS, LIST; %d runs each; median (median absolute deviation)." % (args.messages, args.corpus_count,
                                                                                 args.reps))
    for c in clients:
        print("\nC = %d" % c)
        lt = [r["total_ops_per_s"] for r in table[("lemonade", c)]]
        dt = [r["total_ops_per_s"] for r in table[("dovecot", c)]]
        print("whole workload: lemonade %.1f ops/s (%.1f), dovecot %.1f ops/s (%.1f), ratio lemonade/dovecot %.2f" % (
            med(lt), spread(lt), med(dt), spread(dt), med(lt) / med(dt)))
        print("%-8s %16s %16s %10s | %16s %16s %10s" % ("command", "lemonade p50 ms", "dovecot p50 ms",
                                                        "dov/lem", "lemonade p99 ms", "dovecot p99 ms", "dov/lem"))
        for cmd in ["LOGIN", "CREATE", "APPEND", "STATUS", "LIST"]:
            def stat(name, key):
                vals = [r["commands"][cmd][key] for r in table[(name, c)]]
                return med(vals), spread(vals)
            lp50, lp50s = stat("lemonade", "p50_ms")
            dp50, dp50s = stat("dovecot", "p50_ms")
            lp99, _ = stat("lemonade", "p99_ms")
            dp99, _ = stat("dovecot", "p99_ms")
            print("%-8s %9.2f (%4.2f) %9.2f (%4.2f) %10.2f | %16.2f %16.2f %10.2f" % (
                cmd, lp50, lp50s, dp50, dp50s, dp50 / lp50, lp99, dp99, dp99 / lp99))
        gen = med([r["generator_cpu_s"] / r["wall_s"] for r in table[("lemonade", c)] + table[("dovecot", c)]])
        print("(load generator CPU: %.0f%% of one core)" % (100 * gen))


def print_idle(args, table):
    print("\nIdle: %d connections logged in and idle; total server RSS (all processes)" % args.idle)
    for name in ("lemonade", "dovecot"):
        base, loaded = table[(name, "idle")]
        print("%-9s baseline %8.1f MiB, loaded %8.1f MiB, per connection %7.1f KiB" % (
            name, base / 1024, loaded / 1024, (loaded - base) / args.idle))
    lb, ll = table[("lemonade", "idle")]
    db, dl = table[("dovecot", "idle")]
    print("per-connection memory ratio dovecot/lemonade: %.1fx" % ((dl - db) / max(1, ll - lb)))


if __name__ == "__main__":
    main()
