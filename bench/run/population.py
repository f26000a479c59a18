#!/usr/bin/env python3
"""The many-account throughput workload (issue 12 §2) against Lemonade and
Dovecot (Debian dovecot-imapd, Maildir) on loopback: both servers get the
same accounts (the argon2id hashes Lemonade made) and the same messages,
then load/population_load.py runs a random mix of commands from C clients
over A accounts, with connections kept open ("open") and logging in and
out every few commands ("login"), the same seed for both servers. Prints
commands/s (median over BENCH_REPS runs, MAD), the ratio, per-command
p50/p99, errors with their lines, and protocol violations; see
bench/README.md."""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from servers import PASSWORD, ROOT, Dovecot, Lemonade  # noqa: E402

LOAD = os.path.join(ROOT, "bench", "load", "population_load.py")
sys.path.insert(0, os.path.join(ROOT, "bench", "load"))
from population_load import KINDS, WEIGHTS  # noqa: E402

SERVERS = ("lemonade", "dovecot")


class PopLemonade(Lemonade):
    """Accounts with the given names, made by `lemonade user add` one after
    the other (each hashes its password with argon2id; two at once fail
    with "database is locked")."""

    def __init__(self, binary, work, names):
        super().__init__(binary, work, 0)
        self.tls_port = getattr(self, "tls_port", None)
        started = time.time()
        for name in names:
            subprocess.run([self.binary, "user", "add", name, "--data-dir", self.dir],
                           input=(PASSWORD + "\n").encode(), check=True, stdout=subprocess.DEVNULL)
        self.user_add_seconds = time.time() - started


def settings(args):
    """(variant, clients, accounts) for every variant and every pair of
    the clients and accounts lists (a one-element list pairs with all)."""
    clients = [int(c) for c in str(args.clients).split(",")]
    accounts = [int(a) for a in str(args.accounts).split(",")]
    n = max(len(clients), len(accounts))
    if len(clients) not in (1, n) or len(accounts) not in (1, n):
        raise SystemExit("BENCH_POP_CLIENTS and BENCH_POP_ACCOUNTS: lists of the same length (or one value)")
    pairs = [(clients[i if len(clients) > 1 else 0], accounts[i if len(accounts) > 1 else 0]) for i in range(n)]
    return [(v, c, a) for v in args.variants.split(",") for c, a in pairs]


def load(server, mode, args, *extra, timeout=3600):
    # The clocked runs use the C++ generator unless told otherwise; the
    # untimed populate is Python's.
    program = [args.generator] if mode == "run" and args.generator != "python" else [sys.executable, LOAD]
    out = subprocess.run([*program, mode, "--port", str(server.port), "--password", PASSWORD,
                          "--corpus", args.corpus_path, "--users", ",".join(args.names), *extra],
                         capture_output=True, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError("%s: %s failed:\n%s" % (server.name, mode, out.stderr.decode()[-3000:]))
    return json.loads(out.stdout)


def run(args):
    todo = settings(args)
    args.names = ["pop%03d" % i for i in range(max(a for _, _, a in todo))]
    res = {"settings": todo, "runs": {}, "populate": {}, "started": time.time()}
    work = tempfile.mkdtemp(prefix="lemonade-population-")
    os.chmod(work, 0o755)  # Dovecot's mail processes run as another user
    servers = []
    try:
        args.corpus_path = os.path.join(work, "corpus.mbox")
        subprocess.run([sys.executable, os.path.join(ROOT, "..", "shared", "tools", "gen-corpus.py"),
                        "--count", str(args.corpus), "--seed", "1", "--crlf", "--max-attach", "20000",
                        "--quiet", "--out", args.corpus_path], check=True)
        print("bench: population, adding %d accounts" % len(args.names), file=sys.stderr, flush=True)
        lem = PopLemonade(args.lemonade, work, args.names)
        res["user_add_s"] = lem.user_add_seconds
        dov = Dovecot(work, lem.hashes(), plain_passwords=args.dovecot_passwords == "plain")
        for server in (lem, dov):
            server.start()
            servers.append(server)
        for server in servers:
            print("bench: population, %s, populating %d accounts x %d messages" % (
                server.name, len(args.names), args.messages), file=sys.stderr, flush=True)
            res["populate"][server.name] = load(server, "populate", args, "--messages", str(args.messages),
                                                "--corpus-limit", str(args.corpus))["seconds"]
        # Both servers stay up; each run loads one of them, the other idles.
        # The order alternates from run to run so drift on a shared machine
        # does not always favour the same one.
        for variant, c, a in todo:
            for r in range(args.reps):
                for server in (servers if r % 2 == 0 else servers[::-1]):
                    print("bench: population, %s, %s, C=%d A=%d, run %d" % (server.name, variant, c, a, r + 1),
                          file=sys.stderr, flush=True)
                    out = load(server, "run", args, "--variant", variant, "--clients", str(c), "--accounts", str(a),
                               "--conns", str(args.conns), "--seconds", str(args.seconds),
                               "--seed", str(args.seed + r), "--corpus-limit", str(args.corpus),
                               "--server-pid", str(server.pid))
                    res["runs"].setdefault((variant, c, a, server.name), []).append(out)
    except BaseException:
        log = os.path.join(work, "dovecot", "dovecot.log")
        if os.path.exists(log):
            print(open(log).read()[-3000:], file=sys.stderr)
        for server in servers:
            if getattr(server, "proc", None) is not None and server.proc.poll() is not None:
                print("bench: %s exited with status %s" % (server.name, server.proc.returncode), file=sys.stderr)
        log = os.path.join(work, "lemonade", "bench.log")
        if os.path.exists(log):
            print("bench: the end of lemonade's log:\n" + open(log, errors="replace").read()[-3000:], file=sys.stderr)
        raise
    finally:
        for server in servers:
            try:
                server.stop()
            except Exception as e:  # noqa: BLE001 - the other one still has to stop
                print("bench: stopping %s: %s" % (server.name, e), file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)
    res["elapsed"] = time.time() - res["started"]
    return res


def med(values):
    return statistics.median(values) if values else None


def mad(values):
    m = med(values)
    return statistics.median([abs(v - m) for v in values]) if values else None


def fmt(v, digits=1, width=0):
    return ("-" if v is None else "%.*f" % (digits, v)).rjust(width)


def ratio(a, b):
    return "%.2f" % (a / b) if a is not None and b else "-"


def report(args, res):
    weights = ", ".join("%s %d" % kv for kv in WEIGHTS.items())
    print("\nPopulation workload (issue 12 §2): %d accounts x %d INBOX messages (gen-corpus.py seed 1, %d distinct,"
          " attachments up to 20 kB); seeds %d..%d; %g s per run; %d run(s); median (median absolute deviation)."
          % (len(args.names), args.messages, args.corpus,
             args.seed, args.seed + args.reps - 1, args.seconds, args.reps))
    print("Draw weights: %s." % weights)
    print("Dovecot passwords: %s." % args.dovecot_passwords)
    print("Accounts added (argon2id) in %.1f s; populated: lemonade %.1f s, dovecot %.1f s." % (
        res["user_add_s"], res["populate"]["lemonade"], res["populate"]["dovecot"]))
    summary = []
    for variant, c, a in res["settings"]:
        runs = {s: res["runs"][(variant, c, a, s)] for s in SERVERS}
        what = ("%d connections per client, logged in before the clock" % args.conns if variant == "open"
                else "connect, LOGIN, SELECT, 3-5 commands, LOGOUT per cycle; LOGIN/SELECT/LOGOUT counted")
        print("\n== %s: %d clients over %d accounts (%s) ==" % (variant, c, a, what))
        print("%-9s %18s %9s %8s %7s %10s %11s %8s %9s %10s" % (
            "server", "commands/s", "commands", "draws", "cycles", "reconnect", "violations", "errors", "gen CPU",
            "wall s"))
        cps = {}
        for s in SERVERS:
            rs = runs[s]
            v = [r["commands_per_s"] for r in rs]
            cps[s] = med(v)
            errors = sum(k["errors"] for r in rs for k in r["kinds"].values())
            viol = sum(sum(r["violations"].values()) for r in rs)
            print("%-9s %18s %9d %8d %7d %10d %11d %8d %8.0f%% %10.1f" % (
                s, "%.1f (%.1f)" % (med(v), mad(v)), sum(r["commands"] for r in rs), sum(r["draws"] for r in rs),
                sum(r["cycles"] for r in rs), sum(r["reconnects"] for r in rs), viol, errors,
                100 * med([r["generator_cpu_s"] / r["wall_s"] for r in rs]), med([r["wall_s"] for r in rs])))
        print("ratio lemonade/dovecot commands/s: %s   (same draws for both servers: %s)" % (
            ratio(cps["lemonade"], cps["dovecot"]), same_draws(runs["lemonade"], runs["dovecot"])))
        # Commands per CPU second of the server's processes: what a server
        # gets out of a core, whatever the generator's share of the machine.
        eff = {s: med([r["commands"] / r["server_cpu_s"] for r in runs[s] if r.get("server_cpu_s")])
               for s in SERVERS}
        for s in SERVERS:
            print("server CPU, %s: %s%% of a core; %s commands per CPU second" % (
                s, fmt(med([100 * r["server_cpu_s"] / r["wall_s"] for r in runs[s] if "server_cpu_s" in r]), 0),
                fmt(eff[s], 0)))
        print("ratio lemonade/dovecot commands per CPU second: %s" % ratio(eff["lemonade"], eff["dovecot"]))
        for s in SERVERS:
            seen = {}
            for r in runs[s]:
                for what, n in r["untagged"].items():
                    seen[what] = seen.get(what, 0) + n
            print("untagged responses checked, %s: %s" % (s, ", ".join("%s %d" % kv for kv in seen.items())))
        summary.append((variant, c, a, cps["lemonade"], cps["dovecot"], ratio(eff["lemonade"], eff["dovecot"]),
                        [sum(k["errors"] for r in runs[s] for k in r["kinds"].values()) for s in SERVERS],
                        [sum(sum(r["violations"].values()) for r in runs[s]) for s in SERVERS]))
        print("%-13s | %7s %9s %9s | %7s %9s %9s | %7s %7s | %s" % (
            "kind", "lem n", "p50 ms", "p99 ms", "dov n", "p50 ms", "p99 ms", "p50 d/l", "p99 d/l", "errors lem/dov"))
        for k in KINDS:
            cols = []
            p = {}
            for s in SERVERS:
                rs = runs[s]
                n = sum(r["kinds"][k]["n"] for r in rs)
                p[s] = (med([r["kinds"][k]["p50_ms"] for r in rs if r["kinds"][k]["n"]]),
                        med([r["kinds"][k]["p99_ms"] for r in rs if r["kinds"][k]["n"]]))
                cols.append("%7d %9s %9s" % (n, fmt(p[s][0], 2), fmt(p[s][1], 2)))
            errs = [sum(r["kinds"][k]["errors"] for r in runs[s]) for s in SERVERS]
            if not any(sum(r["kinds"][k]["n"] for r in runs[s]) for s in SERVERS) and not any(errs):
                continue
            print("%-13s | %s | %s | %7s %7s | %d/%d" % (
                k, cols[0], cols[1], ratio(p["dovecot"][0], p["lemonade"][0]),
                ratio(p["dovecot"][1], p["lemonade"][1]), errs[0], errs[1]))
        for s in SERVERS:
            merged = {}
            for r in runs[s]:
                for count, kind, cmd, line in r["error_lines"]:
                    e = merged.setdefault((kind, normalize(line)), [0, cmd, line])
                    e[0] += count
            if merged:
                print("errors, %s (distinct lines, most frequent first; digits aside):" % s)
                for (kind, _), (count, cmd, line) in sorted(merged.items(), key=lambda kv: -kv[1][0])[:args.error_lines]:
                    print("  %5d x %-13s %s  ->  %s" % (count, kind, cmd, line))
                if len(merged) > args.error_lines:
                    print("  (%d more distinct lines)" % (len(merged) - args.error_lines))
            vcount, vex = {}, {}
            for r in runs[s]:
                for what, n in r["violations"].items():
                    vcount[what] = vcount.get(what, 0) + n
                    vex.setdefault(what, r["violation_examples"].get(what, []))
            if vcount:
                print("protocol violations, %s:" % s)
                for what, n in sorted(vcount.items()):
                    print("  %5d x %s, e.g.:" % (n, what))
                    for ex in vex[what][:2]:
                        print("          %s" % ex)
    print("\nSummary (commands/s, median of %d run(s); aim: lemonade >= 2x dovecot)" % args.reps)
    print("%-7s %8s %12s %12s %8s %12s %14s %14s" % ("variant", "C/A", "lemonade", "dovecot", "lem/dov",
                                                     "per CPU s", "errors l/d", "violations l/d"))
    for variant, c, a, lc, dc, eff_ratio, errs, viol in summary:
        print("%-7s %8s %12s %12s %8s %12s %14s %14s" % (variant, "%d/%d" % (c, a), fmt(lc), fmt(dc), ratio(lc, dc),
                                                         eff_ratio, "%d/%d" % tuple(errs), "%d/%d" % tuple(viol)))
    print("\n(population workload took %.1f min)" % (res["elapsed"] / 60))


def same_draws(lruns, druns):
    """Whether each client drew the same commands from both servers, over
    the first draws both runs got to."""
    compared, differ = 0, 0
    for lr, dr in zip(lruns, druns):
        for lp, dp in zip(lr["draw_prefix"], dr["draw_prefix"]):
            n = min(len(lp), len(dp))
            compared += n
            differ += lp[:n] != dp[:n]
    return "NO, %d clients differ" % differ if differ else "yes, %d draws compared" % compared


def normalize(line):
    return re.sub(r"\d+(\.\d+)?", "#", line)


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", default=os.path.join(ROOT, "build-bench", "lemonade"))
    ap.add_argument("--generator", default=env("BENCH_POP_GENERATOR",
                                               os.path.join(ROOT, "build-bench", "bench", "load", "population-load")),
                    help="the load generator's binary, or 'python' for load/population_load.py")
    ap.add_argument("--accounts", default=env("BENCH_POP_ACCOUNTS", "20,100"),
                    help="accounts per setting, paired with --clients")
    ap.add_argument("--clients", default=env("BENCH_POP_CLIENTS", "20,50"))
    ap.add_argument("--conns", type=int, default=int(env("BENCH_POP_CONNS", "2")),
                    help="connections per client in the open variant")
    ap.add_argument("--seconds", type=float, default=float(env("BENCH_POP_SECONDS", "20")))
    ap.add_argument("--messages", type=int, default=int(env("BENCH_POP_MESSAGES", "200")),
                    help="INBOX messages per account")
    ap.add_argument("--variants", default=env("BENCH_POP_VARIANTS", "open,login"))
    ap.add_argument("--dovecot-passwords", choices=["argon2id", "plain"],
                    default=env("BENCH_POP_DOVECOT_PASSWORDS", "argon2id"),
                    help="argon2id: Dovecot checks the hashes Lemonade made (its auth cache on; it still "
                         "verifies argon2id at every login); plain: {PLAIN} passwords, no hashing at all "
                         "(Dovecot's best case)")
    ap.add_argument("--reps", type=int, default=int(env("BENCH_REPS", "3")))
    ap.add_argument("--seed", type=int, default=int(env("BENCH_POP_SEED", "1")))
    ap.add_argument("--corpus", type=int, default=int(env("BENCH_POP_CORPUS", "2000")),
                    help="distinct messages generated")
    ap.add_argument("--error-lines", type=int, default=int(env("BENCH_POP_ERROR_LINES", "8")),
                    help="distinct error lines printed per server and setting")
    args = ap.parse_args()
    for v in args.variants.split(","):
        if v not in ("open", "login"):
            raise SystemExit("unknown variant %r (open, login)" % v)
    report(args, run(args))


if __name__ == "__main__":
    main()
