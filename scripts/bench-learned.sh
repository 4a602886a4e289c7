#!/usr/bin/env bash
# The learned optimizer against full-batch Adam, with and without test-time training (issue #7's figures):
#   - 8 unseen synthetic object scenes (seeds 900-907, never used for training), clean: `ttgs reconstruct` with
#     --ttt-steps 0 and with test-time training, plus full-batch Adam from the same initial Gaussians for
#     T, 10T and 40T steps;
#   - the same scenes corrupted (every view, novel ones included): noise sigma 0.05, blur sigma 1.5 px, exposure x1.5,
#     with test-time training (the report holds the unadapted result for the gain);
#   - the real fox scene zero-shot (downscale 4, every 8th frame held out), with test-time training and T Adam steps.
# Usage: scripts/bench-learned.sh [MODEL] [OUT_DIR]   (env: TTGS=path/to/ttgs, THREADS=1, SCENES="900 ...")
# Prints one line per run and writes OUT_DIR/summary.md (needs python3 for the table).
set -euo pipefail
cd "$(dirname "$0")/.."
TTGS=${TTGS:-build/src/app/ttgs}
MODEL=${1:-models/g3r_small.ttgs}
OUT=${2:-bench-out/learned}
THREADS=${THREADS:-1}
SCENES=${SCENES:-"900 901 902 903 904 905 906 907"}
FOX=../shared/data/fox
mkdir -p "$OUT/scenes" "$OUT/runs"
run() { echo "+ $*" >&2; "$TTGS" --quiet "$@" --threads "$THREADS"; }

for seed in $SCENES; do
  scene="$OUT/scenes/s$seed"
  [ -f "$scene/transforms.json" ] || run synth --out "$scene" --views 8 --novel 2 --width 96 --height 72 --points 3000 --seed "$seed"
  run reconstruct --data "$scene" --model "$MODEL" --out "$OUT/runs/s$seed-plain" --ttt-steps 0
  run reconstruct --data "$scene" --model "$MODEL" --out "$OUT/runs/s$seed-ttt" --baselines
  for c in "noise:--noise 0.05" "blur:--blur 1.5" "exposure:--exposure 1.5"; do
    name=${c%%:*}
    corrupted="$OUT/scenes/s$seed-$name"
    # shellcheck disable=SC2086
    [ -f "$corrupted/transforms.json" ] || run synth --out "$corrupted" --views 8 --novel 2 --width 96 --height 72 \
      --points 3000 --seed "$seed" ${c#*:}
    run reconstruct --data "$corrupted" --model "$MODEL" --out "$OUT/runs/s$seed-$name-ttt"
  done
done
if [ -f "$FOX/transforms.json" ]; then
  run reconstruct --data "$FOX" --downscale 4 --test-every 8 --model "$MODEL" --points "$FOX/points3D.ply" --out "$OUT/runs/fox-ttt" --baseline-steps 24
fi

python3 - "$OUT" <<'EOF'
import glob, json, os, sys
out = sys.argv[1]
def load(name):
    p = os.path.join(out, "runs", name, "report.json")
    return json.load(open(p)) if os.path.exists(p) else None
def test_psnr(r): return r["metrics"]["test"]["psnr"]
def unadapted(r):
    t = r["test_time_training"]
    return t["unadapted_metrics"]["test"]["psnr"] if "unadapted_metrics" in t else test_psnr(r)
lines = ["| scene | learned T | time | novel PSNR (no TTT) | with TTT | TTT gain | kept | Adam T | Adam 10T | Adam 40T | Adam 40T time | Adam matches learned at |",
         "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
gains = {}
for p in sorted(glob.glob(os.path.join(out, "runs", "*-ttt"))):
    name = os.path.basename(p)[:-4]
    r = load(name + "-ttt")
    if r is None: continue
    plain = load(name + "-plain")
    before = test_psnr(plain) if plain else unadapted(r)
    base = r.get("baselines", [])
    row = [name, str(r["iters"]), "%.1f s" % (plain or r)["time_s"], "%.2f" % before, "%.2f" % test_psnr(r),
           "%+.2f" % (test_psnr(r) - before), "yes" if r["test_time_training"]["kept"] else "no"]
    row += ["%.2f" % b["test_psnr"] for b in base] + [""] * (3 - len(base))
    row += ["%.1f s" % base[-1]["time_s"] if base else ""]
    match = base[-1].get("matches_learned_test_psnr_at") if base else None
    row += ["step %d, %.1f s" % (match["step"], match["time_s"]) if match else ("never" if base else "")]
    lines.append("| " + " | ".join(row) + " |")
    kind = name.split("-")[1] if "-" in name else ("clean" if name.startswith("s") else name)
    gains.setdefault(kind, []).append(test_psnr(r) - before)
lines.append("")
for kind, g in sorted(gains.items()):
    lines.append("- TTT gain on %s: mean %+.3f dB, min %+.3f dB, max %+.3f dB over %d scenes" % (kind, sum(g) / len(g), min(g), max(g), len(g)))
open(os.path.join(out, "summary.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
EOF
