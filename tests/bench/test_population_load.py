#!/usr/bin/env python3
"""The population benchmark's load generators (bench/load/population-load,
C++, and population_load.py) against a running server, briefly: both
variants must run the whole mix with no error and no protocol violation,
the same seed must give the same draws, and a refused LOGIN must fail the
run (so a broken generator or a broken server cannot pass as a fast one)."""

import argparse
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402

LOAD_PY = os.path.join(HERE, "..", "..", "bench", "load", "population_load.py")
USERS = ["pop000", "pop001", "pop002"]
PASSWORD = "bench-pass"


def corpus(path, count=40):
    """A small mbox of plain and multipart messages."""
    with open(path, "wb") as f:
        for i in range(count):
            f.write(b"From bench@example.org Thu Jan  1 00:00:00 2026\n")
            head = (b"From: Sender %d <s%d@example.org>\nTo: pop@example.org\nSubject: message %d\n"
                    b"Date: Thu, 1 Jan 2026 10:%02d:00 +0000\nMessage-ID: <%d@example.org>\n" % (i, i, i, i % 60, i))
            if i % 3 == 0:
                f.write(head + b'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n'
                        b"--b\nContent-Type: text/plain\n\nbody %d\n--b\nContent-Type: application/octet-stream\n"
                        b"Content-Transfer-Encoding: base64\n\nAAECAwQFBgcICQ==\n--b--\n\n" % i)
            else:
                f.write(head + b"\n" + b"line %d of the body\n" % i * (1 + i % 7) + b"\n")


def run(cmd):
    out = subprocess.run(cmd, capture_output=True, timeout=300)
    if out.returncode != 0:
        raise AssertionError("%s failed:\n%s" % (cmd[0], out.stderr.decode()[-3000:]))
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    ap.add_argument("--generator", required=True)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="lemonade-popload-")
    atexit.register(shutil.rmtree, work, True)
    mbox = os.path.join(work, "corpus.mbox")
    corpus(mbox)
    with LemonadeServer(args.lemonade, users={u: PASSWORD for u in USERS}) as srv:
        common = ["--port", str(srv.imap_port), "--password", PASSWORD, "--corpus", mbox,
                  "--users", ",".join(USERS), "--corpus-limit", "40"]
        run([sys.executable, LOAD_PY, "populate", *common, "--messages", "30"])

        def gen(program, variant, seed=1, seconds="2", clients="4"):
            r = run([*program, "run", *common, "--variant", variant, "--clients", clients,
                     "--accounts", "3", "--conns", "2", "--seconds", seconds, "--seed", str(seed),
                     "--server-pid", str(srv.proc.pid)])
            assert r["error_lines"] == [], r["error_lines"]
            assert r["violations"] == {}, r["violation_examples"]
            assert r["reconnects"] == 0, r
            assert r["commands"] > 50, r
            assert r["server_cpu_s"] is not None and r["server_cpu_s"] > 0, r
            return r

        cpp = [args.generator]
        a = gen(cpp, "open")
        for kind in ("NOOP", "SELECT", "FETCH_ENV", "FETCH_BODY", "STORE_FLAG", "APPEND", "EXPUNGE", "STATUS"):
            assert a["kinds"][kind]["commands"] > 0, (kind, a["kinds"][kind])
            assert a["kinds"][kind]["p50_ms"] is not None, (kind, a["kinds"][kind])
        # Every connection follows the others' changes: EXISTS, EXPUNGE
        # and FETCH come untagged from the sessions sharing a mailbox.
        assert a["untagged"]["EXPUNGE"] > 0 and a["untagged"]["FETCH"] > 0, a["untagged"]
        b = gen(cpp, "open")
        assert a["draw_prefix"] == b["draw_prefix"], "the same seed must give the same draws"
        c = gen(cpp, "open", seed=2)
        assert a["draw_prefix"] != c["draw_prefix"]
        login = gen(cpp, "login")
        assert login["cycles"] > 0 and login["kinds"]["LOGIN"]["commands"] == login["cycles"], login
        assert login["kinds"]["GREETING"]["n"] == login["cycles"], login
        # The Python generator still runs the same mix.
        gen([sys.executable, LOAD_PY], "open", seconds="1.5")

        # A refused LOGIN before the clock fails the run (exit status and
        # the tagged line), it is not a run of nothing.
        bad = subprocess.run([args.generator, "run", "--port", str(srv.imap_port), "--password", "wrong",
                              "--corpus", mbox, "--users", ",".join(USERS), "--accounts", "3", "--clients", "2",
                              "--seconds", "1"], capture_output=True, timeout=60)
        assert bad.returncode != 0 and b"LOGIN" in bad.stderr, bad
    print("ok")


if __name__ == "__main__":
    main()
