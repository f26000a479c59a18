#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# SECONDS (default 40) on a working copy of its seeds, with the one *.dict
# in its folder. Every target runs even when an earlier one crashed; exits
# non-zero if any crashed. Reproducers are left in build-fuzz/ as
# <target>-crash-*, -leak-*, -timeout-* or -oom-*.
#   scripts/fuzz.sh [SECONDS] [TARGET...]     (default: every target below)
set -euo pipefail
cd "$(dirname "$0")/.."

# One line per target: fuzz_<name> lives in tests/fuzz/<name>/ (fuzz.cpp,
# seeds/, one *.dict) and is declared in tests/fuzz/CMakeLists.txt.
targets=(
  fuzz_imap_command
  fuzz_mime_message
  fuzz_imap_search
  fuzz_sort_info
  fuzz_imap_url
  fuzz_imap_response
  fuzz_smtp_command
  fuzz_deflate
  fuzz_xenc_object
  fuzz_proxy_condstore
  fuzz_http_binding
)

seconds=${1:-40}
shift || true
if [ "$#" -gt 0 ]; then targets=("$@"); fi

cmake -S . -B build-fuzz -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DLEMONADE_FUZZ=ON -DLEMONADE_TESTS=OFF >/dev/null
cmake --build build-fuzz --target "${targets[@]}"

failed=()
for target in "${targets[@]}"; do
  dir=tests/fuzz/${target#fuzz_}
  dicts=("$dir"/*.dict)
  if [ "${#dicts[@]}" -ne 1 ] || [ ! -f "${dicts[0]}" ]; then
    echo "fuzz: $dir needs exactly one *.dict" >&2
    exit 2
  fi
  corpus=build-fuzz/corpus/$target
  mkdir -p "$corpus"
  cp -n "$dir"/seeds/* "$corpus"/ 2>/dev/null || true
  echo "== $target: ${seconds}s, dict ${dicts[0]}"
  if ! (cd build-fuzz && ./tests/fuzz/"$target" -max_total_time="$seconds" -dict="../${dicts[0]}" \
        -artifact_prefix="./$target-" -print_final_stats=1 "corpus/$target" >"$target.log" 2>&1); then
    failed+=("$target")
  fi
  tail -n 12 "build-fuzz/$target.log"
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "fuzz: crash in ${failed[*]} (logs: build-fuzz/<target>.log, reproducers: build-fuzz/<target>-*)" >&2
  exit 1
fi
echo "fuzz: no crash in ${seconds}s per target (${targets[*]})"
