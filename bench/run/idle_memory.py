#!/usr/bin/env python3
"""Idle-memory benchmark (issue 12): N accounts with mail, one connection
each (a phone is one account), LOGIN + SELECT + IDLE, over plain IMAP and
implicit TLS, against Lemonade and Dovecot (Debian dovecot-imapd), the
latter with and without imap_hibernate_timeout, one after the other in
one run. Prints the servers' PSS and VmRSS per idling connection (summed
over the whole process tree), the memory left after every connection
closed, and how long an IDLE connection takes to see another session's
APPEND. Nothing is asserted. See bench/README.md."""

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
from servers import PASSWORD, ROOT, Dovecot, Lemonade, process_tree  # noqa: E402

LOAD = os.path.join(ROOT, "bench", "load", "idle_memory.py")
SERVERS = ("lemonade", "dovecot", "dovecot-hibernate")
# "+deflate": COMPRESS DEFLATE (RFC 4978) after LOGIN.
MODES = ("plain", "tls", "plain+deflate", "tls+deflate")
PREFIX = "idle"
PER_USER = 3
INOTIFY = "/proc/sys/fs/inotify/max_user_instances"


def say(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def memory(pid):
    """PSS and VmRSS (KiB) summed over pid's process tree, in total and
    by process name: {"pss": .., "rss": .., "procs": .., "by_name":
    {name: [processes, pss, rss]}}."""
    out = {"pss": 0, "rss": 0, "procs": 0, "by_name": {}}
    for p in process_tree(pid):
        try:
            with open("/proc/%d/comm" % p) as f:
                name = f.read().strip()
            pss = rss = 0
            with open("/proc/%d/smaps_rollup" % p) as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss = int(line.split()[1])
                        break
            with open("/proc/%d/status" % p) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
        except (OSError, ValueError):
            continue  # the process ended while we looked
        out["pss"] += pss
        out["rss"] += rss
        out["procs"] += 1
        entry = out["by_name"].setdefault(name, [0, 0, 0])
        entry[0] += 1
        entry[1] += pss
        entry[2] += rss
    return out


class Generator:
    """bench/load/idle_memory.py idle, driven over its stdin/stdout."""

    def __init__(self, args, server, mode):
        cmd = [sys.executable, LOAD, "idle", "--port", str(server.port), "--password", PASSWORD,
               "--users", str(args.accounts), "--prefix", PREFIX, "--per-user", str(PER_USER),
               "--samples", str(args.samples)]
        if mode.startswith("tls"):
            cmd += ["--tls", "--tls-port", str(server.tls_port)]
        if mode.endswith("+deflate"):
            cmd += ["--compress"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def expect(self, word):
        line = self.proc.stdout.readline()
        if not line.startswith(word + " "):
            self.proc.kill()
            raise RuntimeError("idle generator: expected %s, got %r" % (word, line))
        return json.loads(line[len(word) + 1:])

    def send(self, cmd, word):
        self.proc.stdin.write(cmd + "\n")
        self.proc.stdin.flush()
        return self.expect(word)


def one_run(args, server, label, mode):
    server.start()
    try:
        time.sleep(args.settle)
        base = memory(server.pid)
        gen = Generator(args, server, mode)
        ready = gen.expect("READY")
        say("%s %s: %d connections idling after %.0f s, %d errors" % (
            label, mode, ready["idling"], ready["seconds"], ready["errors"]["count"]))
        if label == "dovecot-hibernate":
            # Long enough for every session to have moved to imap-hibernate.
            time.sleep(args.hibernate + 10)
        else:
            time.sleep(args.settle)
        loaded = memory(server.pid)
        wake = gen.send("wake", "WAKE")
        closed = gen.send("close", "CLOSED")
        gen.proc.wait(timeout=60)
        time.sleep(args.after_close)
        after = memory(server.pid)
    finally:
        server.stop()
    return {"base": base, "loaded": loaded, "after": after, "ready": ready, "wake": wake, "closed": closed}


def populate(args, server, corpus):
    server.start()
    try:
        out = subprocess.run([sys.executable, LOAD, "populate", "--port", str(server.port), "--password", PASSWORD,
                              "--users", str(args.accounts), "--prefix", PREFIX, "--per-user", str(PER_USER),
                              "--corpus", corpus, "--concurrency", "8"], capture_output=True, text=True, timeout=7200)
    finally:
        server.stop()
    if out.returncode != 0:
        raise RuntimeError("%s: populate failed:\n%s" % (server.name, out.stderr[-3000:]))
    res = json.loads(out.stdout)
    say("%s: populated %d INBOXes with %d messages each in %.1f s, %d errors %s" % (
        server.name, args.accounts, PER_USER, res["seconds"], res["errors"]["count"],
        res["errors"]["first"] or ""))
    return res


def raise_inotify(args):
    """Dovecot's imap processes all run as one user (the mail uid) and
    each IDLE takes an inotify instance; past fs.inotify.max_user_instances
    (128 by default) a session falls back to polling every
    mailbox_idle_check_interval (30 s). Returns the value to restore."""
    try:
        with open(INOTIFY) as f:
            old = int(f.read())
    except OSError:
        return None
    need = args.accounts + 256
    if args.inotify != "raise" or old >= need:
        if old < need:
            say("fs.inotify.max_user_instances is %d (< %d): Dovecot IDLE beyond it polls" % (old, need))
        return None
    try:
        with open(INOTIFY, "w") as f:
            f.write(str(need))
    except OSError as e:
        say("cannot raise fs.inotify.max_user_instances (%s); Dovecot IDLE beyond %d sessions polls" % (e, old))
        return None
    say("fs.inotify.max_user_instances raised from %d to %d for this run" % (old, need))
    return old


def run(args):
    servers = [s for s in args.servers.split(",") if s]
    modes = [m for m in args.modes.split(",") if m]
    if set(servers) - set(SERVERS) or set(modes) - set(MODES) or not servers or not modes:
        raise SystemExit("BENCH_IDLE_SERVERS: any of %s; BENCH_IDLE_MODES: any of %s" % (
            ",".join(SERVERS), ",".join(MODES)))
    res = {"servers": servers, "modes": modes, "runs": {}, "started": time.time()}
    work = tempfile.mkdtemp(prefix="lemonade-idle-")
    os.chmod(work, 0o755)  # Dovecot's auth and mail processes run as other users
    restore = None
    try:
        corpus = os.path.join(work, "corpus.mbox")
        subprocess.run([sys.executable, os.path.join(ROOT, "..", "shared", "tools", "gen-corpus.py"), "--count",
                        str(min(PER_USER * args.accounts, 3000)), "--seed", "1", "--crlf", "--max-attach", "20000",
                        "--quiet", "--out", corpus], check=True)
        say("creating %d Lemonade users, %d at a time" % (args.accounts, args.jobs))
        names = ["%s%04d" % (PREFIX, i) for i in range(args.accounts)]
        lem = Lemonade(args.lemonade, work, args.accounts, tls=True, names=names, jobs=args.jobs)
        res["user_add_seconds"] = lem.user_add_seconds
        say("%d users in %.0f s" % (args.accounts, lem.user_add_seconds))
        dov = None
        if any(s.startswith("dovecot") for s in servers):
            dov = Dovecot(work, lem.hashes(), tls=True, imap_process_limit=max(1024, args.accounts + 100))
            restore = raise_inotify(args)
        populated = {}
        for label in servers:
            server = lem if label == "lemonade" else dov
            if server is dov:
                dov.configure(tls=True, hibernate_timeout="%ds" % args.hibernate if label == "dovecot-hibernate"
                              else None, imap_process_limit=max(1024, args.accounts + 100))
            if server.name not in populated:
                say("%s: populating" % server.name)
                populated[server.name] = populate(args, server, corpus)
                res.setdefault("populate", {})[server.name] = populated[server.name]
            for mode in modes:
                for rep in range(args.reps):
                    say("%s %s, run %d" % (label, mode, rep + 1))
                    r = one_run(args, server, label, mode)
                    res["runs"].setdefault((label, mode), []).append(r)
                    report_run(args, label, mode, r)
    except BaseException:
        log = os.path.join(work, "dovecot", "dovecot.log")
        if os.path.exists(log):
            print(open(log, errors="replace").read()[-3000:], file=sys.stderr)
        raise
    finally:
        if restore is not None:
            with open(INOTIFY, "w") as f:
                f.write(str(restore))
        if args.keep:
            say("kept %s" % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    res["elapsed"] = time.time() - res["started"]
    return res


def mib(kb):
    return kb / 1024


def breakdown(m):
    return ", ".join("%s %d: %.1f MiB" % (name, v[0], mib(v[1]))
                     for name, v in sorted(m["by_name"].items(), key=lambda kv: -kv[1][1]))


def errors_of(r):
    return (r["ready"]["errors"]["count"] + r["wake"]["errors"]["count"] + r["closed"]["errors"]["count"]
            + r["closed"]["dropped_while_idle"])


def report_run(args, label, mode, r):
    """The details of one run, printed as it ends."""
    b, l, a = r["base"], r["loaded"], r["after"]
    print("\n%s, %s: %d of %d connections idling (set up in %.0f s)" % (
        label, mode, r["ready"]["idling"], args.accounts, r["ready"]["seconds"]))
    for what, m in (("baseline", b), ("loaded", l), ("after close", a)):
        print("  %-11s PSS %8.1f MiB, VmRSS %8.1f MiB, %4d processes: %s" % (
            what, mib(m["pss"]), mib(m["rss"]), m["procs"], breakdown(m)))
    w = r["wake"]
    if w["wake_ms"]:
        print("  IDLE wake: %d samples, p50 %.1f ms, max %.1f ms (APPEND OK p50 %.1f ms)" % (
            len(w["wake_ms"]), statistics.median(w["wake_ms"]), max(w["wake_ms"]),
            statistics.median(w["append_ms"])))
    for step, e in (("setup", r["ready"]["errors"]), ("wake", w["errors"]), ("close", r["closed"]["errors"])):
        if e["count"]:
            print("  %s errors: %d %s; first: %s" % (step, e["count"], e["by_step"], e["first"]))
    if r["closed"]["dropped_while_idle"]:
        print("  connections the server closed while idling: %d" % r["closed"]["dropped_while_idle"])
    sys.stdout.flush()


def summary(args, res):
    """{(label, mode): figures} with medians over the runs."""
    out = {}
    n = args.accounts
    for key, runs in res["runs"].items():
        wake = [x for r in runs for x in r["wake"]["wake_ms"]]
        out[key] = {
            "pss": statistics.median([(r["loaded"]["pss"] - r["base"]["pss"]) / n for r in runs]),
            "rss": statistics.median([(r["loaded"]["rss"] - r["base"]["rss"]) / n for r in runs]),
            "after": statistics.median([mib(r["after"]["pss"] - r["base"]["pss"]) for r in runs]),
            "base": statistics.median([mib(r["base"]["pss"]) for r in runs]),
            "wake50": statistics.median(wake) if wake else None,
            "wakemax": max(wake) if wake else None,
            "samples": len(wake),
            "errors": sum(errors_of(r) for r in runs),
            "idling": min(r["ready"]["idling"] for r in runs),
        }
    return out


def report(args, res):
    s = summary(args, res)
    print("\nIdle memory: N = %d accounts, one connection each (LOGIN, SELECT INBOX of %d messages, IDLE);"
          " PSS and VmRSS summed over each server's process tree, (loaded - baseline) / N; after close ="
          " PSS %g s after the last LOGOUT - baseline; IDLE wake = APPEND by another connection of the user"
          " to EXISTS on the idling one (%d users per run); %d run(s), medians." % (
              args.accounts, PER_USER, args.after_close, args.samples, args.reps))
    print("%-24s | %16s | %16s | %15s | %19s | %s" % ("server/mode", "PSS KiB per conn", "RSS KiB per conn",
                                                     "after close MiB", "IDLE wake p50/max ms", "errors"))
    for mode in res["modes"]:
        for label in res["servers"]:
            f = s.get((label, mode))
            if not f:
                continue
            wake = "%7.1f / %7.1f" % (f["wake50"], f["wakemax"]) if f["samples"] else "no samples"
            print("%-24s | %16.1f | %16.1f | %15.1f | %19s | %d%s" % (
                "%s/%s" % (label, mode), f["pss"], f["rss"], f["after"], wake, f["errors"],
                "" if f["idling"] == args.accounts else " (only %d idling)" % f["idling"]))
    ratios = []
    for mode in res["modes"]:
        lem = s.get(("lemonade", mode))
        for label in res["servers"]:
            dov = s.get((label, mode))
            if not lem or not dov or label == "lemonade":
                continue
            ratios.append("%s/%s: PSS per conn %.3f, RSS per conn %.3f, after close %s%s" % (
                label, mode, lem["pss"] / dov["pss"] if dov["pss"] else float("nan"),
                lem["rss"] / dov["rss"] if dov["rss"] else float("nan"),
                "%.2f" % (lem["after"] / dov["after"]) if abs(dov["after"]) > 0.05 else "-",
                (", IDLE wake p50 %.2f" % (lem["wake50"] / dov["wake50"]))
                if lem["samples"] and dov["samples"] and dov["wake50"] else ""))
    if ratios:
        print("\nRatios Lemonade / Dovecot (below 1: Lemonade uses less, wakes faster):")
        for line in ratios:
            print("  " + line)
    slow = ["%s/%s" % k for k, f in s.items() if f["samples"] and f["wakemax"] > 100]
    print("\nIDLE wake within 100 ms (issue 12): %s" % ("all" if not slow else "NOT for " + ", ".join(slow)))
    print("(Lemonade users created in %.0f s, %d at a time; the whole run took %.1f min)" % (
        res["user_add_seconds"], args.jobs, res["elapsed"] / 60))


def main():
    env = os.environ.get
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", default=os.path.join(ROOT, "build-bench", "lemonade"))
    ap.add_argument("--accounts", type=int, default=int(env("BENCH_IDLE_ACCOUNTS", "1000")))
    ap.add_argument("--reps", type=int, default=int(env("BENCH_REPS", "1")))
    ap.add_argument("--modes", default=env("BENCH_IDLE_MODES", ",".join(MODES)))
    ap.add_argument("--servers", default=env("BENCH_IDLE_SERVERS", ",".join(SERVERS)))
    ap.add_argument("--samples", type=int, default=int(env("BENCH_IDLE_SAMPLES", "20")),
                    help="IDLE wake samples per run, each a different user")
    ap.add_argument("--hibernate", type=int, default=int(env("BENCH_IDLE_HIBERNATE", "5")),
                    help="Dovecot imap_hibernate_timeout in seconds (dovecot-hibernate)")
    ap.add_argument("--settle", type=float, default=float(env("BENCH_IDLE_SETTLE", "15")),
                    help="seconds before the baseline and before the loaded measurement (15: Lemonade closes "
                         "database connections unused for 5 s and returns freed memory every 5 s; "
                         "dovecot-hibernate gets its hibernate timeout + 10 s)")
    ap.add_argument("--after-close", type=float, default=float(env("BENCH_IDLE_AFTER_CLOSE", "10")),
                    help="seconds after the last connection closed before measuring")
    ap.add_argument("--jobs", type=int, default=int(env("BENCH_IDLE_JOBS", "4")),
                    help="`lemonade user add` processes at a time")
    ap.add_argument("--inotify", choices=["raise", "keep"], default=env("BENCH_IDLE_INOTIFY", "raise"),
                    help="raise fs.inotify.max_user_instances for Dovecot's IDLE (restored afterwards)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    report(args, run(args))


if __name__ == "__main__":
    main()
