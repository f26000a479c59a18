#!/usr/bin/env bash
# The mixed message-access workload alone, Lemonade vs Dovecot
# (bench/README.md); run.sh runs it after the others.
# Environment: BENCH_MIXED_SIZES (1000,100000) BENCH_CLIENTS (10,50)
# BENCH_REPS (3) BENCH_MIXED_SECONDS (20) BENCH_MIXED_OPS (0: use seconds)
# BENCH_SOLO (30) BENCH_MIXED_CORPUS (2000).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh --bench
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEMONADE_TESTS=OFF >/dev/null
cmake --build build-bench --target lemonade
ulimit -n "$(ulimit -Hn)"
exec python3 bench/run/mixed.py "$@"
