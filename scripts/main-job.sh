#!/usr/bin/env bash
# The main job on the built-in default scene: synthesize it (object preset, 64 training + 16 novel views at 256x192,
# seed 0), then validate and report on it. `ttgs fit` and `ttgs eval` join here when they land.
set -euo pipefail
cd "$(dirname "$0")/.."
ttgs=build/src/app/ttgs
out=${TTGS_OUT:-out}
mkdir -p "$out"
"$ttgs" --version
echo "== ttgs synth: the default scene"
"$ttgs" synth --out "$out/default-scene" --preset object --seed 0
echo "== ttgs info $out/default-scene"
"$ttgs" info "$out/default-scene"
echo "The default scene is in $out/default-scene (transforms.json, images/, depth/, masks/, scaffold.ply)."
