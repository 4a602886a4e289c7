#!/usr/bin/env bash
# The main job: install, build, then run ttgs on the built-in default scene.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
bash scripts/main-job.sh
