#!/usr/bin/env bash
# The test command (README "Run the tests"; CI runs exactly this): installs
# what a fresh Debian 12 machine lacks, builds with warnings as errors, and
# runs every test: unit, transcripts, real clients, crash, fuzz smoke.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

# The tests' Python is Debian's, whose packages install-deps.sh installed
# (python3-cryptography, python3-websocket), even where another python3
# comes first on PATH.
python=()
if [[ -x /usr/bin/python3 ]]; then python=(-DPython3_EXECUTABLE=/usr/bin/python3); fi
cmake -S . -B build -G Ninja -DLEMONADE_WERROR=ON -DLEMONADE_TESTS=ON "${python[@]}"
cmake --build build

# Node clients (imapflow) from the npm registry, pinned by the lockfiles.
for dir in tests/clients/*/; do
  if [[ -f "$dir/package-lock.json" ]]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

ctest --test-dir build --output-on-failure -j2

# Fuzz smoke run: the parsers under libFuzzer + ASan/UBSan for a bounded time.
if [[ -f tests/fuzz/CMakeLists.txt ]]; then
  scripts/fuzz.sh "${LEMONADE_FUZZ_SECONDS:-40}"
fi
