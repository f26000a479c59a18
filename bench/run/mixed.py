#!/usr/bin/env python3
"""The mixed message-access workload (issue 3) against Lemonade and Dovecot
(Debian dovecot-imapd) on loopback, one after the other: for each mailbox
size, both servers get one user whose INBOX is filled with that many
messages, then C clients run load/mixed_load.py for a fixed time. Prints
per-command ops/s, p50/p99 and the Dovecot/Lemonade ratio. See
bench/README.md."""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import PASSWORD, ROOT, Dovecot, Lemonade  # noqa: E402

LOAD = os.path.join(ROOT, "bench", "load", "mixed_load.py")
COMMANDS = ["SELECT", "FETCH_FLAGS", "FETCH_ENV_BS", "FETCH_BODY", "SEARCH_HEADER", "SEARCH_BODY", "STORE",
            "COPY", "APPEND", "EXPUNGE"]


class MixedLemonade(Lemonade):
    """One data directory per mailbox size, with the single user 'mixed'."""

    def __init__(self, binary, work):
        self.binary, self.dir = binary, os.path.join(work, "lemonade")
        from run import free_port
        self.port = free_port()
        subprocess.run([binary, "user", "add", "mixed", "--data-dir", self.dir],
                       input=(PASSWORD + "\n").encode(), check=True, stdout=subprocess.DEVNULL)


def load(server, mode, *extra, timeout=7200):
    out = subprocess.run([sys.executable, LOAD, mode, "--port", str(server.port), "--password", PASSWORD, *extra],
                         capture_output=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError("%s: %s failed:\n%s" % (server.name, mode, out.stderr.decode()[-3000:]))
    return json.loads(out.stdout)


def med(values):
    return statistics.median(values)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", default=os.path.join(ROOT, "build-bench", "lemonade"))
    ap.add_argument("--sizes", default=os.environ.get("BENCH_MIXED_SIZES", "1000,100000"))
    ap.add_argument("--clients", default=os.environ.get("BENCH_CLIENTS", "10,50"))
    ap.add_argument("--seconds", type=float, default=float(os.environ.get("BENCH_MIXED_SECONDS", "30")))
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", "3")))
    ap.add_argument("--solo", type=int, default=int(os.environ.get("BENCH_SOLO", "50")),
                    help="commands of each kind timed alone, one client")
    ap.add_argument("--corpus-count", type=int, default=int(os.environ.get("BENCH_MIXED_CORPUS", "2000")))
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    clients = [int(c) for c in args.clients.split(",")]

    table, populate, solo = {}, {}, {}
    for size in sizes:
        work = tempfile.mkdtemp(prefix="lemonade-mixed-")
        os.chmod(work, 0o755)  # Dovecot's mail processes run as another user
        try:
            corpus = os.path.join(work, "corpus.mbox")
            # Small attachments keep 100,000 messages near 750 MB per server.
            subprocess.run([sys.executable, os.path.join(ROOT, "..", "shared", "tools", "gen-corpus.py"),
                            "--count", str(args.corpus_count), "--seed", "1", "--crlf", "--max-attach", "20000",
                            "--quiet", "--out", corpus], check=True)
            lem = MixedLemonade(args.lemonade, work)
            dov = Dovecot(work, lem.hashes())
            for server in (lem, dov):
                print("bench: %s, %d messages" % (server.name, size), file=sys.stderr, flush=True)
                server.start()
                try:
                    populate[(server.name, size)] = load(server, "populate", "--corpus", corpus,
                                                         "--count", str(size))["seconds"]
                    for c in clients:
                        runs = []
                        for r in range(args.reps):
                            print("bench: %s %d msgs C=%d run %d" % (server.name, size, c, r), file=sys.stderr,
                                  flush=True)
                            runs.append(load(server, "mixed", "--corpus", corpus, "--clients", str(c),
                                             "--seconds", str(args.seconds), "--seed", str(r + 1),
                                             "--tag", "c%dr%d" % (c, r)))
                        table[(server.name, size, c)] = runs
                    # Each command alone from one client: latency without
                    # the other commands (or the other server's slow ones)
                    # shaping the load.
                    for cmd in COMMANDS:
                        solo[(server.name, size, cmd)] = load(
                            server, "mixed", "--corpus", corpus, "--clients", "1", "--seconds", "120",
                            "--only", cmd, "--count-per-client", str(args.solo), "--tag", "solo")["commands"][cmd]
                finally:
                    server.stop()
        finally:
            shutil.rmtree(work, ignore_errors=True)

    print("\nMixed workload: one user, INBOX of N messages (gen-corpus.py seed 1, attachments up to 20 kB);"
          " C clients for %gs each, commands drawn by weight (bench/README.md); %d runs, medians." % (
              args.seconds, args.reps))
    for size in sizes:
        print("\nN = %d: populate (MULTIAPPEND of 200) lemonade %.1f s, dovecot %.1f s" % (
            size, populate[("lemonade", size)], populate[("dovecot", size)]))
        print("\nN = %d, one client, each command alone (%d times): p50 / p99 ms" % (size, args.solo))
        print("%-14s %10s %10s %8s | %10s %10s %8s" % ("command", "lem p50", "dov p50", "dov/lem", "lem p99",
                                                     "dov p99", "dov/lem"))
        for cmd in COMMANDS:
            ls_, ds = solo[("lemonade", size, cmd)], solo[("dovecot", size, cmd)]
            if not ls_["p50_ms"] or not ds["p50_ms"]:
                print("%-14s (no samples)" % cmd)
                continue
            print("%-14s %10.2f %10.2f %8.2f | %10.2f %10.2f %8.2f" % (
                cmd, ls_["p50_ms"], ds["p50_ms"], ds["p50_ms"] / ls_["p50_ms"], ls_["p99_ms"], ds["p99_ms"],
                ds["p99_ms"] / ls_["p99_ms"]))
        for c in clients:
            lr, dr = table[("lemonade", size, c)], table[("dovecot", size, c)]
            lt, dt = med([r["total_ops_per_s"] for r in lr]), med([r["total_ops_per_s"] for r in dr])
            print("\nN = %d, C = %d: whole workload lemonade %.1f ops/s, dovecot %.1f ops/s, ratio %.2f" % (
                size, c, lt, dt, lt / dt))
            print("%-14s %10s %10s %8s | %10s %10s %8s | %10s %10s %8s | %s" % (
                "command", "lem ops/s", "dov ops/s", "lem/dov", "lem p50", "dov p50", "dov/lem", "lem p99",
                "dov p99", "dov/lem", "errors lem/dov"))
            for cmd in COMMANDS:
                def stat(runs, key):
                    vals = [r["commands"][cmd][key] for r in runs if r["commands"][cmd][key] is not None]
                    return med(vals) if vals else float("nan")
                lo, do = stat(lr, "ops_per_s"), stat(dr, "ops_per_s")
                l50, d50 = stat(lr, "p50_ms"), stat(dr, "p50_ms")
                l99, d99 = stat(lr, "p99_ms"), stat(dr, "p99_ms")
                le = sum(r["commands"][cmd]["errors"] for r in lr)
                de = sum(r["commands"][cmd]["errors"] for r in dr)
                print("%-14s %10.1f %10.1f %8.2f | %10.2f %10.2f %8.2f | %10.2f %10.2f %8.2f | %d/%d" % (
                    cmd, lo, do, lo / do if do else float("nan"), l50, d50, d50 / l50 if l50 else float("nan"),
                    l99, d99, d99 / l99 if l99 else float("nan"), le, de))
            gen = med([r["generator_cpu_s"] / r["wall_s"] for r in lr + dr])
            print("(load generator CPU: %.0f%% of one core)" % (100 * gen))


if __name__ == "__main__":
    main()
