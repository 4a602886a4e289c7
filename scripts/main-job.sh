#!/usr/bin/env bash
# Runs ttgs on the default scene. Until `ttgs synth` and `ttgs fit` exist, the main job validates and reports on the
# real data in ../shared/data (the fox scene, the COLMAP model and the trained 3DGS scene).
set -euo pipefail
cd "$(dirname "$0")/.."
ttgs=build/src/app/ttgs
data=${TTGS_SHARED_DATA:-../shared/data}
"$ttgs" --version
for input in "$data/fox" "$data/colmap_maupertuis" "$data/splats/plush_dog.ply"; do
  echo "== ttgs info $input"
  "$ttgs" info "$input"
done
