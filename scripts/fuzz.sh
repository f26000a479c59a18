#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# SECONDS (default 60) on a working copy of its seeds. Exits non-zero on a
# crash; the reproducer is left in build-fuzz/.
#   scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLEMONADE_FUZZ=ON -DLEMONADE_TESTS=OFF >/dev/null
for target in fuzz_imap_command; do
  cmake --build build-fuzz --target "$target"
  dir=tests/fuzz/${target#fuzz_}
  corpus=build-fuzz/corpus/$target
  mkdir -p "$corpus"
  cp -n "$dir"/seeds/* "$corpus"/ 2>/dev/null || true
  (cd build-fuzz && ./tests/fuzz/"$target" -max_total_time="$seconds" -dict="../$dir/imap.dict" \
      -artifact_prefix="./$target-" -print_final_stats=1 "corpus/$target" 2>&1 | tail -n 12)
done
echo "fuzz: no crash in ${seconds}s per target"
