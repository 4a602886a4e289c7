#!/usr/bin/env bash
# Installs, builds and runs the whole test suite: the CTest suite, then the readers and the scene generator under
# AddressSanitizer + UBSan, then a short libFuzzer run of each reader. Fails on the first failing step; ends with
# one summary line "tests: N passed, 0 failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
mkdir -p build/logs
echo "== unit and integration tests (ctest)"
ctest --test-dir build --output-on-failure -j "$(nproc)" -LE slow 2>&1 | tee build/logs/ctest.log
bash scripts/sanitize-and-fuzz.sh "${TTGS_FUZZ_SECONDS:-20}"
# ctest prints "100% tests passed, 0 tests failed out of N" per suite; add them up.
passed=$(cat build/logs/ctest.log build-asan/logs/ctest.log 2>/dev/null | sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\)/\2 \1/p' |
  awk '{p += $1 - $2; f += $2} END {print p " passed, " f " failed"}')
echo "tests: $passed"
