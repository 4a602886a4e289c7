#!/usr/bin/env bash
# Installs, builds and runs the whole test suite: the CTest suite, then the readers and the scene generator under
# AddressSanitizer + UBSan, then a short libFuzzer run of each reader (each fuzzer counts as one test). Every step
# runs even when an earlier one fails; the last line is always "tests: N passed, M failed" (a failed build or a
# suite that died before its summary counts as one failure), and the exit status is 0 only when M is 0.
set -uo pipefail
cd "$(dirname "$0")/.."
if ! bash scripts/install-deps.sh || ! bash scripts/build.sh; then
  echo "ttgs tests: install or build failed"
  echo "tests: 0 passed, 1 failed"
  exit 1
fi
# The real clients the interoperability tests run (npm; tests/interop/package.json pins them).
if command -v npm >/dev/null; then
  (cd tests/interop && npm install --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null) ||
    echo "ttgs tests: npm install in tests/interop failed; the interoperability tests will skip"
fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
mkdir -p build/logs
rm -f build/logs/ctest.log build-asan/logs/ctest.log build-asan/logs/fuzz.log
echo "== unit and integration tests (ctest)"
ctest --test-dir build --output-on-failure -j "$(nproc)" -LE slow 2>&1 | tee build/logs/ctest.log
bash scripts/sanitize-and-fuzz.sh "${TTGS_FUZZ_SECONDS:-20}"

# ctest prints "N% tests passed, F tests failed out of T" per suite; a suite without that line died (one failure).
passed=0
failed=0
for log in build/logs/ctest.log build-asan/logs/ctest.log; do
  line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" 2>/dev/null | tail -n 1)
  if [ -z "$line" ]; then
    echo "ttgs tests: no CTest summary in $log"
    failed=$((failed + 1))
    continue
  fi
  f=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
  t=$(echo "$line" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\2/')
  passed=$((passed + t - f))
  failed=$((failed + f))
done
# sanitize-and-fuzz.sh writes one "fuzz_<reader>: passed|failed" line per fuzzer; four are expected.
fuzz_passed=$(grep -c ': passed$' build-asan/logs/fuzz.log 2>/dev/null || true)
fuzz_failed=$((4 - ${fuzz_passed:-0}))
passed=$((passed + ${fuzz_passed:-0}))
failed=$((failed + fuzz_failed))
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
