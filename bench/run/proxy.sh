#!/usr/bin/env bash
# `lemonade proxy` (issue 17, bench/README.md): latency per command straight
# to Dovecot and through the proxy (relayed in front of Dovecot as it is,
# mediated in front of Dovecot reduced to IMAP4rev1), and the proxy's
# memory per idle session.
# Environment: BENCH_PROXY_ROUNDS (500) BENCH_PROXY_IDLE (300) BENCH_PROXY_LOG
# (the proxy's log.level, warn) BENCH_PROXY_OPTIONS
# (more -o settings for the proxy).
set -euo pipefail
cd "$(dirname "$0")/../.."
scripts/install-deps.sh --bench
cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release -DLEMONADE_TESTS=OFF >/dev/null
cmake --build build-bench --target lemonade
exec python3 bench/run/proxy.py "$@"
