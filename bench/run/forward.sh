#!/usr/bin/env bash
# Forward without download (issue 13), Lemonade vs Dovecot (bench/README.md):
# octets, round trips and time to forward a message with a big attachment
# by download + APPEND, by CATENATE, by APPEND of the same bytes, and by
# CATENATE + GENURLAUTH.
# Environment: BENCH_FWD_MB (5) BENCH_REPS (5) BENCH_FWD_SERVERS (lemonade,dovecot).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh --bench
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEMONADE_TESTS=OFF >/dev/null
cmake --build build-bench --target lemonade
exec python3 bench/run/forward.py "$@"
