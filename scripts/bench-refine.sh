#!/usr/bin/env bash
# Refinement on unseen scenes (issue #14's figures):
#   - synthetic object scenes (SEEDS, default 21 22 23: never used to tune refine): 24 training views at 256x192 and
#     16 novel views, fitted 2000 iterations on the true cameras; every training camera but the first turned by 2°
#     and moved by 5% of the camera-path radius (the novel views keep their true cameras); `ttgs refine` with
#     defaults (validation = the novel views);
#   - the real fox (downscale 4), fitted 3000 iterations on its cameras from its COLMAP points; every camera but the
#     first turned by 1° and moved by 2%; `ttgs refine --stages pose`.
# Prints per run the camera errors against the true cameras (mean and worst frame; the training frames of the
# synthetic scenes, every frame of the fox), the PSNRs of report.json and the time. Usage: scripts/bench-refine.sh [OUT_DIR]  (env: TTGS, THREADS=2, SEEDS, FOX=0 to skip)
set -euo pipefail
cd "$(dirname "$0")/.."
TTGS=${TTGS:-build/src/app/ttgs}
OUT=${1:-bench-out/refine}
THREADS=${THREADS:-2}
SEEDS=${SEEDS:-"21 22 23"}
FOX_DATA=../shared/data/fox
PY=/usr/bin/python3
mkdir -p "$OUT"
run() { echo "+ $*" >&2; "$TTGS" --quiet "$@" --threads "$THREADS"; }

summary() {  # name truth.json refined-dir train|all (the frames whose errors count)
  "$PY" - "$1" "$2" "$3" "$4" <<'EOF'
import importlib.util, json, os, sys
name, truth_path, out, which = sys.argv[1:5]
spec = importlib.util.spec_from_file_location("camera_errors", "scripts/camera-errors.py")
camera_errors = importlib.util.module_from_spec(spec)
spec.loader.exec_module(camera_errors)
report = json.load(open(os.path.join(out, "report.json")))
names = set(os.path.basename(n) for n in report["train_frames"]) if which == "train" else None
e = camera_errors.errors(truth_path, os.path.join(out, "transforms.json"), names)
rot = [r for r, _ in e.values()]
tr = [100 * t for _, t in e.values()]
m = report["metrics"]
val_b = m["before"].get("val", {}).get("psnr")
val_a = m["after"].get("val", {}).get("psnr")
line = "%s: %d frames, rotation mean %.3f max %.3f deg, translation mean %.2f%% max %.2f%%, train %.2f -> %.2f dB" % (
    name, len(e), sum(rot) / len(rot), max(rot), sum(tr) / len(tr), max(tr), m["before"]["train"]["psnr"],
    m["after"]["train"]["psnr"])
if val_b is not None:
    line += ", held-out %.2f -> %.2f dB" % (val_b, val_a)
line += ", %.1f s" % report["time_s"]
print(line)
EOF
}

for seed in $SEEDS; do
  d="$OUT/s$seed"
  [ -f "$d/scene/transforms.json" ] || run synth --out "$d/scene" --views 24 --novel 16 --width 256 --height 192 --seed "$seed"
  [ -f "$d/fit/scene.ply" ] || run fit --data "$d/scene" --out "$d/fit" --iters 2000
  "$PY" scripts/perturb-cameras.py "$d/scene/transforms.json" "$d/perturbed/transforms.json" --deg 2 --trans 0.05 \
    --seed "$seed" --frames train >/dev/null
  run refine --data "$d/perturbed" --init "$d/fit/scene.ply" --out "$d/refined"
  summary "synthetic seed $seed" "$d/scene/transforms.json" "$d/refined" train
done
if [ "${FOX:-1}" != 0 ] && [ -f "$FOX_DATA/transforms.json" ]; then
  d="$OUT/fox"
  [ -f "$d/fit/scene.ply" ] || run fit --data "$FOX_DATA" --downscale 4 --init "$FOX_DATA/points3D.ply" --out "$d/fit" --iters 3000
  "$PY" scripts/perturb-cameras.py "$FOX_DATA/transforms.json" "$d/perturbed/transforms.json" --deg 1 --trans 0.02 --seed 5 >/dev/null
  run refine --data "$d/perturbed" --downscale 4 --init "$d/fit/scene.ply" --out "$d/refined" --stages pose
  summary "fox (pose stage)" "$FOX_DATA/transforms.json" "$d/refined" all
fi
