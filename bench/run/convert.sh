#!/usr/bin/env bash
# The CONVERT workload (RFC 5259, issue 15), Lemonade vs Dovecot's whole
# FETCH (bench/README.md): octets and time for a photo as a 320 px
# thumbnail and an HTML newsletter as text.
# Environment: BENCH_REPS (5).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh --bench
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEMONADE_TESTS=OFF >/dev/null
cmake --build build-bench --target lemonade
exec python3 bench/run/convert.py "$@"
