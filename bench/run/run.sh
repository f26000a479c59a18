#!/usr/bin/env bash
# Lemonade vs Dovecot on loopback, same workload, one run (bench/README.md).
# Environment: BENCH_WORKLOADS (mailbox,idle,mixed) BENCH_CLIENTS (10,50)
# BENCH_MESSAGES (40) BENCH_REPS (3) BENCH_IDLE (1000) BENCH_CORPUS (300);
# the mixed workload's BENCH_MIXED_* and BENCH_SOLO are in mixed.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh --bench
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEMONADE_TESTS=OFF >/dev/null
cmake --build build-bench --target lemonade
ulimit -n "$(ulimit -Hn)"
exec python3 bench/run/run.py "$@"
