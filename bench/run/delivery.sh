#!/usr/bin/env bash
# Delivery throughput, Lemonade vs Dovecot and Postfix (bench/README.md):
# LMTP messages/s, submission messages/s (accepted, and until in the
# INBOXes), and the disk's fsync rate, every delivery checked.
# Environment: BENCH_CLIENTS (10,50) BENCH_DELIVERY_SIZES (4096,1048576)
# BENCH_DELIVERY_MESSAGES (up to 64 KB 300 by LMTP, 100 by submission; else 5) BENCH_REPS (3)
# BENCH_DELIVERY_GENERATOR (build-bench/bench/load/lmtp-load, or python)
# BENCH_DELIVERY_TESTS (lmtp,submission) BENCH_DELIVERY_SERVERS (lemonade,dovecot,postfix).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh --bench
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEMONADE_TESTS=OFF -DLEMONADE_BENCH=ON >/dev/null
cmake --build build-bench --target lemonade lmtp-load
exec python3 bench/run/delivery.py "$@"
