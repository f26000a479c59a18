#!/usr/bin/env python3
"""Node imapflow (npm, pinned in tests/clients/imapflow/package-lock.json)
against Lemonade; the test command installs it with `npm ci`."""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "support"))
from lemonade_server import LemonadeServer  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lemonade", required=True)
    args = ap.parse_args()
    project = os.path.join(HERE, "imapflow")
    if not os.path.isdir(os.path.join(project, "node_modules", "imapflow")):
        raise SystemExit("imapflow is not installed: run (cd tests/clients/imapflow && npm ci)")
    with LemonadeServer(args.lemonade, users={"carol": "s3cret pass"}) as srv:
        for script in ("imapflow_test.mjs", "imapflow_idle.mjs", "imapflow_qresync.mjs"):
            out = subprocess.run(["node", script, str(srv.imaps_port), srv.cert, "carol", "s3cret pass"],
                                 cwd=project, capture_output=True, timeout=60)
            sys.stdout.write(out.stdout.decode())
            sys.stderr.write(out.stderr.decode())
            if out.returncode != 0:
                raise SystemExit("%s failed (exit %d)" % (script, out.returncode))
    print("PASS test_node_imapflow")


if __name__ == "__main__":
    main()
