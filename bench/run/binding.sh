#!/usr/bin/env bash
# An IDLE-ing phone behind a middlebox that resets connections idle for
# 30 s, one compressed hour per variant (issue 17, bench/README.md):
# Lemonade's resumable WebSocket binding vs plain IMAP IDLE to Lemonade and
# to Dovecot: octets, segments, wakeups, resets, keepalives, resync octets,
# pushes delivered and their latency.
# Environment: BENCH_BINDING_SCALE (40) BENCH_BINDING_VARIANTS
# (lemonade-binding,lemonade-imap,dovecot-imap).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh --bench
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEMONADE_TESTS=OFF >/dev/null
cmake --build build-bench --target lemonade
exec python3 bench/run/binding.py "$@"
