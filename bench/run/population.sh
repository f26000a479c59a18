#!/usr/bin/env bash
# The many-account throughput workload alone (issue 12 §2), Lemonade vs
# Dovecot (bench/README.md): a random mix of commands from C clients over A
# accounts, connections kept open and logging in and out each cycle.
# Environment: BENCH_POP_ACCOUNTS (20,100) BENCH_POP_CLIENTS (20,50, paired
# with the accounts) BENCH_POP_VARIANTS (open,login) BENCH_POP_SECONDS (20)
# BENCH_POP_MESSAGES (200) BENCH_POP_CONNS (2) BENCH_POP_SEED (1)
# BENCH_POP_CORPUS (2000) BENCH_POP_GENERATOR (the C++ one, or python) BENCH_POP_ERROR_LINES (8) BENCH_REPS (3).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh --bench
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEMONADE_TESTS=OFF -DLEMONADE_BENCH=ON >/dev/null
cmake --build build-bench --target lemonade population-load
ulimit -n "$(ulimit -Hn)"
exec python3 bench/run/population.py "$@"
