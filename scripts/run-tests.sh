#!/usr/bin/env bash
# Installs, builds and runs the whole test suite: the CTest suite, then the readers under AddressSanitizer +
# UBSan, then a short libFuzzer run of each reader. Fails on the first failing step.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-$(nproc)}
echo "== unit and integration tests (ctest)"
ctest --test-dir build --output-on-failure -j "$(nproc)" -LE slow
bash scripts/sanitize-and-fuzz.sh "${TTGS_FUZZ_SECONDS:-20}"
