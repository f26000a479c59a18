#!/usr/bin/env bash
# The resync workload alone, Lemonade vs Dovecot (bench/README.md): octets
# and time to resync a big INBOX with QRESYNC, CONDSTORE or a full FLAGS
# fetch. run.sh runs it with BENCH_WORKLOADS=resync.
# Environment: BENCH_RESYNC_SIZE (100000) BENCH_REPS (3) BENCH_RESYNC_SEED (1)
# BENCH_RESYNC_CORPUS (500) BENCH_RESYNC_SERVERS (lemonade,dovecot)
# BENCH_RESYNC_DUMP (directory for the exchanges; unset: none)
# BENCH_RESYNC_EXCERPTS (1; 0 leaves the exchange excerpts out).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh --bench
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEMONADE_TESTS=OFF >/dev/null
cmake --build build-bench --target lemonade
exec python3 bench/run/resync.py "$@"
