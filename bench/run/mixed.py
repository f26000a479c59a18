#!/usr/bin/env python3
"""The mixed message-access workload (issue 3) against Lemonade and Dovecot
(Debian dovecot-imapd) on loopback, one after the other: for each mailbox
size, both servers get one user whose INBOX is filled with that many
messages, then C clients run load/mixed_load.py, BENCH_REPS times; then each
command alone from one client. Prints per-command ops/s, p50/p99 with the
median absolute deviation, the ratios, error counts and SEARCH hit counts.
run.py runs this too (BENCH_WORKLOADS); see bench/README.md."""

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
from servers import PASSWORD, ROOT, Dovecot, Lemonade, free_port  # noqa: E402

LOAD = os.path.join(ROOT, "bench", "load", "mixed_load.py")
COMMANDS = ["SELECT", "FETCH_FLAGS", "FETCH_ENV_BS", "FETCH_BODY", "SEARCH_HEADER", "SEARCH_BODY", "STORE",
            "COPY", "APPEND", "EXPUNGE"]
SERVERS = ("lemonade", "dovecot")


class MixedLemonade(Lemonade):
    """One data directory per mailbox size, with the single user 'mixed'."""

    def __init__(self, binary, work):
        self.binary, self.dir, self.port = binary, os.path.join(work, "lemonade"), free_port()
        self.tls_port = None  # plain IMAP only (servers.Lemonade.start reads it)
        subprocess.run([binary, "user", "add", "mixed", "--data-dir", self.dir],
                       input=(PASSWORD + "\n").encode(), check=True, stdout=subprocess.DEVNULL)


def add_options(ap):
    """The mixed workload's knobs; --lemonade, --clients and --reps come
    from the caller (shared with run.py's other workloads)."""
    env = os.environ.get
    ap.add_argument("--sizes", default=env("BENCH_MIXED_SIZES", "1000,100000"), help="INBOX sizes")
    ap.add_argument("--mixed-seconds", type=float, default=float(env("BENCH_MIXED_SECONDS", "20")),
                    help="length of one mixed run")
    ap.add_argument("--mixed-ops", type=int, default=int(env("BENCH_MIXED_OPS", "0")),
                    help="commands per client per run instead of a fixed time (0: use --mixed-seconds)")
    ap.add_argument("--solo", type=int, default=int(env("BENCH_SOLO", "30")),
                    help="commands of each kind timed alone, one client (0: skip)")
    ap.add_argument("--mixed-corpus", type=int, default=int(env("BENCH_MIXED_CORPUS", "2000")),
                    help="distinct messages generated")


def load(server, mode, *extra, timeout=7200):
    out = subprocess.run([sys.executable, LOAD, mode, "--port", str(server.port), "--password", PASSWORD, *extra],
                         capture_output=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError("%s: %s failed:\n%s" % (server.name, mode, out.stderr.decode()[-3000:]))
    return json.loads(out.stdout)


def length_args(args):
    if args.mixed_ops:
        return ["--count-per-client", str(args.mixed_ops), "--seconds", "7200"]
    return ["--seconds", str(args.mixed_seconds)]


def run(args):
    """Runs everything; returns the raw results for report()."""
    sizes = [int(s) for s in str(args.sizes).split(",")]
    clients = [int(c) for c in str(args.clients).split(",")]
    res = {"sizes": sizes, "clients": clients, "mixed": {}, "populate": {}, "solo": {}, "started": time.time()}
    for size in sizes:
        work = tempfile.mkdtemp(prefix="lemonade-mixed-")
        os.chmod(work, 0o755)  # Dovecot's mail processes run as another user
        try:
            corpus = os.path.join(work, "corpus.mbox")
            # Small attachments keep 100,000 messages near 750 MB per server.
            subprocess.run([sys.executable, os.path.join(ROOT, "..", "shared", "tools", "gen-corpus.py"),
                            "--count", str(args.mixed_corpus), "--seed", "1", "--crlf", "--max-attach", "20000",
                            "--quiet", "--out", corpus], check=True)
            lem = MixedLemonade(args.lemonade, work)
            dov = Dovecot(work, lem.hashes())
            for server in (lem, dov):
                print("bench: mixed, %s, populating %d messages" % (server.name, size), file=sys.stderr,
                      flush=True)
                server.start()
                try:
                    res["populate"][(server.name, size)] = load(server, "populate", "--corpus", corpus,
                                                                "--count", str(size))["seconds"]
                    for c in clients:
                        runs = []
                        for r in range(args.reps):
                            print("bench: mixed, %s, %d messages, C=%d, run %d" % (server.name, size, c, r + 1),
                                  file=sys.stderr, flush=True)
                            runs.append(load(server, "mixed", "--corpus", corpus, "--clients", str(c),
                                             *length_args(args), "--seed", str(r + 1), "--tag", "c%dr%d" % (c, r)))
                        res["mixed"][(server.name, size, c)] = runs
                    # Each command alone from one client: its latency without
                    # the other commands (or the other server's slow ones)
                    # shaping the load.
                    if args.solo:
                        print("bench: mixed, %s, %d messages, each command alone" % (server.name, size),
                              file=sys.stderr, flush=True)
                    for cmd in COMMANDS if args.solo else []:
                        res["solo"][(server.name, size, cmd)] = load(
                            server, "mixed", "--corpus", corpus, "--clients", "1", "--seconds", "120",
                            "--only", cmd, "--count-per-client", str(args.solo), "--tag", "solo")
                finally:
                    server.stop()
        except BaseException:
            log = os.path.join(work, "dovecot", "dovecot.log")
            if os.path.exists(log):
                print(open(log).read()[-3000:], file=sys.stderr)
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
    res["elapsed"] = time.time() - res["started"]
    return res


def med(values):
    return statistics.median(values)


def mad(values):
    m = med(values)
    return statistics.median([abs(v - m) for v in values])


def ratio(a, b):
    return "%8.2f" % (a / b) if a is not None and b else "%8s" % "-"


class Stat:
    """One server's figure for one command over its runs: the median and
    its MAD, or None if no run had a successful command of that kind."""

    def __init__(self, runs, cmd, key):
        vals = [r["commands"][cmd][key] for r in runs if r["commands"][cmd]["count"]]
        self.median = med(vals) if vals else None
        self.mad = mad(vals) if vals else None
        self.errors = sum(r["commands"][cmd]["errors"] for r in runs)
        self.count = sum(r["commands"][cmd]["count"] for r in runs)
        self.unsupported = self.median is None and self.errors > 0

    def text(self, width, digits=2, spread=True):
        if self.median is None:
            return ("unsupported" if self.unsupported else "no samples").rjust(width)
        if not spread:
            return ("%.*f" % (digits, self.median)).rjust(width)
        return ("%.*f (%.*f)" % (digits, self.median, digits, self.mad)).rjust(width)


def error_notes(runs_by_server, cmd):
    notes = []
    for name, runs in runs_by_server:
        for r in runs:
            c = r["commands"][cmd]
            if c["errors"]:
                notes.append("%s %s: %d error(s), first: %s" % (name, cmd, c["errors"], c["error_line"]))
                break
    return notes


def report(args, res):
    sizes, clients = res["sizes"], res["clients"]
    length = ("%d commands per client" % args.mixed_ops) if args.mixed_ops else ("%gs" % args.mixed_seconds)
    print("\nMixed workload: one user, INBOX of N messages (gen-corpus.py seed 1, %d distinct, attachments up"
          " to 20 kB); C clients with two connections each, %s per run, commands drawn by weight"
          " (bench/README.md); %d runs; median (median absolute deviation). Ratios > 1: Lemonade better." % (
              args.mixed_corpus, length, args.reps))
    for size in sizes:
        print("\nN = %d: populate (MULTIAPPEND of 200) lemonade %.1f s, dovecot %.1f s" % (
            size, res["populate"][("lemonade", size)], res["populate"][("dovecot", size)]))
        for c in clients:
            lr, dr = res["mixed"][("lemonade", size, c)], res["mixed"][("dovecot", size, c)]
            lt, dt = [r["total_ops_per_s"] for r in lr], [r["total_ops_per_s"] for r in dr]
            print("\nN = %d, C = %d: whole workload lemonade %.1f ops/s (%.1f), dovecot %.1f ops/s (%.1f),"
                  " ratio lemonade/dovecot %s; a run lasted %.0f s / %.0f s (until the last command ended)" % (
                      size, c, med(lt), mad(lt), med(dt), mad(dt), ratio(med(lt), med(dt)).strip(),
                      med([r["wall_s"] for r in lr]), med([r["wall_s"] for r in dr])))
            print("%-13s %17s %17s %8s | %17s %17s %8s | %11s %11s %8s | %s" % (
                "command", "lem ops/s", "dov ops/s", "lem/dov", "lem p50 ms", "dov p50 ms", "dov/lem",
                "lem p99 ms", "dov p99 ms", "dov/lem", "timed lem/dov, errors"))
            notes = []
            for cmd in COMMANDS:
                lo, do = Stat(lr, cmd, "ops_per_s"), Stat(dr, cmd, "ops_per_s")
                l50, d50 = Stat(lr, cmd, "p50_ms"), Stat(dr, cmd, "p50_ms")
                l99, d99 = Stat(lr, cmd, "p99_ms"), Stat(dr, cmd, "p99_ms")
                bad = sum(r["commands"][cmd]["bad_results"] for r in lr + dr)
                print("%-13s %s %s %s | %s %s %s | %s %s %s | %d/%d, %d/%d%s" % (
                    cmd, lo.text(17, 1), do.text(17, 1), ratio(lo.median, do.median),
                    l50.text(17), d50.text(17), ratio(d50.median, l50.median),
                    l99.text(11, spread=False), d99.text(11, spread=False), ratio(d99.median, l99.median),
                    lo.count, do.count, lo.errors, do.errors, "" if not bad else " (%d short answers)" % bad))
                notes += error_notes([("lemonade", lr), ("dovecot", dr)], cmd)
            for note in notes:
                print("  " + note)
            recon = sum(r["reconnects"] for r in lr + dr)
            if recon:
                print("  connections lost and reopened: %d" % recon)
            lg = med([r["generator_cpu_s"] / r["wall_s"] for r in lr])
            dg = med([r["generator_cpu_s"] / r["wall_s"] for r in dr])
            print("(load generator CPU: %.0f%% of one core against lemonade, %.0f%% against dovecot)" % (
                100 * lg, 100 * dg))
        if args.solo:
            print("\nN = %d, one client, each command alone (%d times): p50 / p99 ms" % (size, args.solo))
            print("%-13s %11s %11s %8s | %11s %11s %8s | %s" % ("command", "lem p50", "dov p50", "dov/lem",
                                                               "lem p99", "dov p99", "dov/lem", "errors lem/dov"))
            notes = []
            for cmd in COMMANDS:
                ls, ds = res["solo"][("lemonade", size, cmd)], res["solo"][("dovecot", size, cmd)]
                lp50, dp50 = Stat([ls], cmd, "p50_ms"), Stat([ds], cmd, "p50_ms")
                lp99, dp99 = Stat([ls], cmd, "p99_ms"), Stat([ds], cmd, "p99_ms")

                def one(s):
                    return ("%.2f" % s.median if s.median is not None else
                            "unsupported" if s.unsupported else "-").rjust(11)
                print("%-13s %s %s %s | %s %s %s | %d/%d" % (
                    cmd, one(lp50), one(dp50), ratio(dp50.median, lp50.median), one(lp99), one(dp99),
                    ratio(dp99.median, lp99.median), lp50.errors, dp50.errors))
                notes += error_notes([("lemonade", [ls]), ("dovecot", [ds])], cmd)
            for note in notes:
                print("  " + note)
        # Both INBOXes hold the same messages: the counts should agree.
        hits = {}
        for (name, sz, _), runs in list(res["mixed"].items()) + [((k[0], k[1], 0), [v])
                                                                  for k, v in res["solo"].items()]:
            if sz == size:
                for r in runs:
                    for key, counts in r["search_hits"].items():
                        hits.setdefault(key, {}).setdefault(name, set()).update(counts)
        if hits:
            def show(s):
                return "/".join(str(n) for n in sorted(s)) if s else "?"
            parts = ["%s %s/%s" % (k, show(v.get("lemonade")), show(v.get("dovecot"))) for k, v in sorted(hits.items())]
            same = all(v.get("lemonade") == v.get("dovecot") for v in hits.values())
            print("\nN = %d, SEARCH hits lemonade/dovecot (%s): %s" % (size, "agree" if same else "DIFFER",
                                                                         ", ".join(parts)))
    print("\n(mixed workload took %.1f min)" % (res["elapsed"] / 60))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", default=os.path.join(ROOT, "build-bench", "lemonade"))
    ap.add_argument("--clients", default=os.environ.get("BENCH_CLIENTS", "10,50"))
    ap.add_argument("--reps", type=int, default=int(os.environ.get("BENCH_REPS", "3")))
    add_options(ap)
    args = ap.parse_args()
    report(args, run(args))


if __name__ == "__main__":
    main()
