#!/usr/bin/env bash
# The main job: install, build, then run ttgs on the built-in default scene.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
TTGS_TARGET=installable bash scripts/build.sh  # the tests and benchmarks are built by scripts/run-tests.sh
# PREFIX/bin/ttgs, its bundled model, and `import ttgs` for Debian's /usr/bin/python3 (PREFIX/lib/python3.X/dist-packages).
cmake --install build --prefix "${TTGS_PREFIX:-/usr/local}" >/dev/null
bash scripts/main-job.sh
