#!/usr/bin/env bash
# The main job on the built-in default scene: synthesize it (object preset, seed 0: 64 training + 16 novel views at
# 256x192), fit it (3000 iterations from the scaffold points), evaluate it on the novel views, and say where the
# results are. TTGS_ITERS overrides the iteration count.
set -euo pipefail
cd "$(dirname "$0")/.."
ttgs=build/src/app/ttgs
out=${TTGS_OUT:-out}
iters=${TTGS_ITERS:-3000}
mkdir -p "$out"
"$ttgs" --version
echo "== ttgs synth: the default scene"
"$ttgs" synth --out "$out/default-scene" --preset object --seed 0
echo "== ttgs fit: $iters iterations"
"$ttgs" fit --data "$out/default-scene" --out "$out/default-fit" --iters "$iters" --eval-every 1000
echo "== ttgs eval on the novel (test) views"
"$ttgs" --quiet eval --ply "$out/default-fit/scene.ply" --data "$out/default-scene" --split test
echo "The fitted scene is $out/default-fit/scene.ply (standard 3DGS PLY); the report is $out/default-fit/report.json"
echo "and $out/default-fit/report.html (one self-contained page). To look at it in a browser:"
echo "  ttgs view $out/default-fit        (build/src/app/ttgs before installing; then open the URL it prints)"
