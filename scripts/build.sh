#!/usr/bin/env bash
# Configures and builds ttgs (Release, Ninja, ccache) into build/. Idempotent: an up-to-date build is a no-op.
# TTGS_TARGET=installable builds only the program and the Python module (the main job), not tests or benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build --parallel "$jobs" ${TTGS_TARGET:+--target "$TTGS_TARGET"}
