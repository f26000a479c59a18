#!/usr/bin/env bash
# Idle-memory benchmark (issue 12), Lemonade vs Dovecot with and without
# hibernation, plain and TLS (bench/README.md).
# Environment: BENCH_IDLE_ACCOUNTS (1000) BENCH_IDLE_MODES (plain,tls)
# BENCH_IDLE_SERVERS (lemonade,dovecot,dovecot-hibernate) BENCH_REPS (1)
# BENCH_IDLE_SAMPLES (20) BENCH_IDLE_HIBERNATE (5) BENCH_IDLE_SETTLE (15)
# BENCH_IDLE_AFTER_CLOSE (5) BENCH_IDLE_JOBS (4) BENCH_IDLE_INOTIFY (raise).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh --bench
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEMONADE_TESTS=OFF >/dev/null
cmake --build build-bench --target lemonade
ulimit -n "$(ulimit -Hn)"
exec python3 bench/run/idle_memory.py "$@"
