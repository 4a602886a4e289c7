#!/usr/bin/env bash
# 4D refinement (issue #16) on an unseen synthetic street: SEED (default 61, never used to tune), CAMERAS x STEPS
# timestamps at WIDTH x HEIGHT with LiDAR; every timestamp but the first moved by 1 deg and 2% of the ego path and
# every actor box by 0.3 m and 3 deg (scripts/perturb-street.py); the start is `ttgs init` (LiDAR, no optimization);
# `ttgs refine --ablation` (held out: timestamps HELD_OUT, default 4,12; synth's split lists hold out none). Prints the ladder, and the camera and actor-box errors
# against the truth before refinement and after each row.
#   scripts/bench-refine-4d.sh [OUT_DIR]   (env: TTGS, THREADS=2, SEED=61, CAMERAS=3, STEPS=20, WIDTH=480, HEIGHT=320,
#                                           HELD_OUT=4,12)
set -euo pipefail
cd "$(dirname "$0")/.."
TTGS=${TTGS:-build/src/app/ttgs}
OUT=${1:-bench-out/refine-4d}
THREADS=${THREADS:-2}
SEED=${SEED:-61}
CAMERAS=${CAMERAS:-3}
STEPS=${STEPS:-20}
WIDTH=${WIDTH:-480}
HEIGHT=${HEIGHT:-320}
HELD_OUT=${HELD_OUT:-4,12}
PY=/usr/bin/python3
mkdir -p "$OUT"
run() { echo "+ $*" >&2; "$TTGS" --quiet "$@"; }

[ -f "$OUT/truth/transforms.json" ] || run synth --preset street --cameras "$CAMERAS" --views "$STEPS" --novel 0 \
  --width "$WIDTH" --height "$HEIGHT" --lidar --seed "$SEED" --out "$OUT/truth" --threads "$THREADS"
$PY scripts/perturb-street.py "$OUT/truth" "$OUT/perturbed" --deg 1 --trans 0.02 --shift 0.3 --yaw 3 --seed 1
rm -rf "$OUT/init" "$OUT/refined"
start=$(date +%s.%N)
run init --data "$OUT/perturbed" --out "$OUT/init" --source lidar --threads "$THREADS"
echo "init: $($PY -c "import sys; print(round(float(sys.argv[2]) - float(sys.argv[1]), 2))" "$start" "$(date +%s.%N)") s (loading and writing included)"
run refine --data "$OUT/perturbed" --init "$OUT/init" --out "$OUT/refined" --ablation --test-frames "$HELD_OUT" \
  --threads "$THREADS"
echo "errors against the truth (camera rotation in degrees, centres and boxes in metres):"
echo "perturbed start:"
$PY scripts/street-errors.py "$OUT/truth" "$OUT/perturbed"
for row in "$OUT"/refined/rows/*; do
  echo "row $(basename "$row"): $($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['rows'][int(sys.argv[2])]['name'])" "$OUT/refined/ablation.json" "$(basename "$row")")"
  [ -f "$row/actors.json" ] || cp "$OUT/perturbed/actors.json" "$row/actors.json"
  $PY scripts/street-errors.py "$OUT/truth" "$row"
done
cat "$OUT/refined/ablation.md"
