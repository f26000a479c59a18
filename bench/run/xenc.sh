#!/usr/bin/env bash
# XENCRYPTED cost (issue 16), Lemonade plain vs encrypted vs Dovecot
# (bench/README.md): FETCH BODY[] of 100 KB and 5 MB messages over TLS,
# server CPU per GB and MB/s; memory of open sessions, plain and after XKEY.
# Environment: BENCH_XENC_SMALL (40) BENCH_XENC_LARGE (4) BENCH_REPS (5)
# BENCH_XENC_SESSIONS (300) BENCH_XENC_MB (400, fetched per run).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh --bench
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEMONADE_TESTS=OFF >/dev/null
cmake --build build-bench --target lemonade
exec python3 bench/run/xenc.py "$@"
