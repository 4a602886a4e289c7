#!/usr/bin/env bash
# The readers and the scene generator (no LibTorch) built with clang under AddressSanitizer + UBSan: runs their unit
# tests, then fuzzes the PLY, COLMAP and transforms.json readers for N seconds each (default 20) from the seeds in
# fuzz/corpus. Runs every fuzzer even when the tests or another fuzzer failed; writes build-asan/logs/ctest.log and
# one "fuzz_<reader>: passed|failed" line per fuzzer to build-asan/logs/fuzz.log; exits 1 if anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
mkdir -p build-asan/logs
: >build-asan/logs/fuzz.log
if ! cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
    -DCMAKE_CXX_COMPILER=clang++ -DTTGS_WITH_TORCH=OFF -DTTGS_BUILD_BENCH=OFF -DTTGS_FUZZ=ON \
    -DTTGS_SANITIZE=address,undefined >/dev/null || ! cmake --build build-asan --parallel "$(nproc)"; then
  echo "sanitizer build failed"
  exit 1
fi
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
echo "== reader and generator tests under AddressSanitizer + UBSan"
status=0
ctest --test-dir build-asan --output-on-failure -j "$(nproc)" 2>&1 | tee build-asan/logs/ctest.log || status=1
echo "== fuzzing each reader for ${seconds}s"
for target in ply colmap transforms splats; do
  corpus=build-asan/fuzz-corpus/$target
  mkdir -p "$corpus"
  seeds=fuzz/corpus/${target/transforms/json}
  log=build-asan/fuzz-$target.log
  if ./build-asan/fuzz/fuzz_$target -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=2048 \
      -print_final_stats=1 "$corpus" "$seeds" >"$log" 2>&1; then
    echo "fuzz_$target: $(grep -E '^stat::number_of_executed_units' "$log" | awk '{print $2}') runs, no crash"
    echo "fuzz_$target: passed" >>build-asan/logs/fuzz.log
  else
    tail -n 40 "$log"
    echo "fuzz_$target found a crash or leak (full log: $log)"
    echo "fuzz_$target: failed" >>build-asan/logs/fuzz.log
    status=1
  fi
done
exit $status
