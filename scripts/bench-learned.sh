#!/usr/bin/env bash
# The learned optimizer against optimization at equal compute (issue #20's figures), on scenes never trained on:
#   - unseen synthetic scenes of several sizes, view counts and both presets (seeds 9001-9005, never in a training
#     corpus): `ttgs reconstruct` at the model's default T (test-time training on), at T = 12 (turbo), and without
#     test-time training; `--baselines` with full-batch Adam for T steps and plain `ttgs fit` at the same number of
#     view renders (T x training views iterations); plus `ttgs fit --iters 3000`, the aim;
#   - one of them corrupted on every view (noise sigma 0.05, blur sigma 1.5 px, exposure x1.5): the gain of test-time
#     training per corruption (the report holds the unadapted result);
#   - the real fox scene zero-shot (downscale 4, its COLMAP points, every 8th frame held out).
# Every "fit" column is plain `ttgs fit` from the same start for as many iterations as that reconstruction took view
# renders (its learned steps' and its test-time training's: report.json view_renders).
# Usage: scripts/bench-learned.sh [MODEL] [OUT_DIR]   (env: TTGS=path/to/ttgs, THREADS=2, QUICK=1 skips fit 3000,
#        EXTRA="--views-per-step 4" adds options to every reconstruct)
# Prints one line per run and writes OUT_DIR/summary.md (Debian's /usr/bin/python3 makes the table).
set -euo pipefail
cd "$(dirname "$0")/.."
TTGS=${TTGS:-build/src/app/ttgs}
MODEL=${1:-models/g3r.ttgs}
OUT=${2:-bench-out/learned}
THREADS=${THREADS:-2}
FOX=../shared/data/fox
mkdir -p "$OUT/scenes" "$OUT/runs"
run() { echo "+ $*" >&2; "$TTGS" --quiet "$@" --threads "$THREADS"; }
# shellcheck disable=SC2086
reconstruct() { run reconstruct "$@" ${EXTRA:-}; }

# name seed preset width height views
SCENES="obj96:9001:object:96:72:8 obj192:9002:object:192:144:32 street160:9003:street:160:120:24 obj384:9004:object:384:288:16 obj128:9005:object:128:96:64"
for spec in $SCENES; do
  IFS=: read -r name seed preset w h views <<<"$spec"
  scene="$OUT/scenes/$name"
  [ -f "$scene/transforms.json" ] || run synth --out "$scene" --preset "$preset" --views "$views" \
    --novel $((views / 4 > 2 ? views / 4 : 2)) --width "$w" --height "$h" --points 3000 --seed "$seed"
  reconstruct --data "$scene" --model "$MODEL" --out "$OUT/runs/$name-T24" --baseline-steps 24
  reconstruct --data "$scene" --model "$MODEL" --out "$OUT/runs/$name-T12" --steps 12 --baseline-steps 12
  reconstruct --data "$scene" --model "$MODEL" --out "$OUT/runs/$name-nottt" --ttt-steps 0 --baseline-steps 1
  [ -n "${QUICK:-}" ] || run fit --data "$scene" --out "$OUT/runs/$name-fit3000" --iters 3000 --eval-every 0
done
for c in "noise:--noise 0.05" "blur:--blur 1.5" "exposure:--exposure 1.5"; do
  name=${c%%:*}
  corrupted="$OUT/scenes/obj96-$name"
  # shellcheck disable=SC2086
  [ -f "$corrupted/transforms.json" ] || run synth --out "$corrupted" --views 8 --novel 2 --width 96 --height 72 \
    --points 3000 --seed 9001 ${c#*:}
  reconstruct --data "$corrupted" --model "$MODEL" --out "$OUT/runs/corrupt-$name"
done
if [ -f "$FOX/transforms.json" ]; then
  reconstruct --data "$FOX" --downscale 4 --test-every 8 --model "$MODEL" --init "$FOX/points3D.ply" \
    --out "$OUT/runs/fox-T24" --baseline-steps 24
  reconstruct --data "$FOX" --downscale 4 --test-every 8 --model "$MODEL" --init "$FOX/points3D.ply" \
    --out "$OUT/runs/fox-nottt" --ttt-steps 0 --baseline-steps 1
fi

/usr/bin/python3 - "$OUT" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
def load(name):
    p = os.path.join(out, "runs", name, "report.json")
    return json.load(open(p)) if os.path.exists(p) else None
def test(r): return r["metrics"]["test"]["psnr"]
lines = ["| scene | start | learned T=24 (renders, time) | fit, equal renders (time) | no TTT (renders) | fit, its renders | T=12 (renders, time) | fit, its renders | full-batch Adam T | fit 3000 |",
         "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
names = sorted({os.path.basename(p).rsplit("-", 1)[0] for p in glob.glob(os.path.join(out, "runs", "*-T24"))})
for name in names:
    r24, r12, plain, f3 = load(name + "-T24"), load(name + "-T12"), load(name + "-nottt"), load(name + "-fit3000")
    b = {x["method"].split(",")[0]: x for x in r24.get("baselines", [])}
    fb = b.get("full-batch Adam (ttgs fit --full-batch)")
    fit = b.get("ttgs fit")
    def fit_of(r):
        runs = [x for x in (r or {}).get("baselines", []) if x["method"].startswith("ttgs fit")]
        return "%.2f (%d its, %.1f s)" % (runs[0]["test_psnr"], runs[0]["steps"], runs[0]["time_s"]) if runs else ""
    row = [name, "%.2f" % r24["initial_metrics"]["test"]["psnr"],
           "%.2f (%d, %.1f s)" % (test(r24), r24["view_renders"], r24["time_s"]), fit_of(r24),
           "%.2f (%d)" % (test(plain), plain["view_renders"]) if plain else "", fit_of(plain),
           "%.2f (%d, %.1f s)" % (test(r12), r12["view_renders"], r12["time_s"]) if r12 else "", fit_of(r12),
           "%.2f" % fb["test_psnr"] if fb else "", "%.2f" % f3["metrics"]["test"]["psnr"] if f3 else ""]
    lines.append("| " + " | ".join(row) + " |")
lines.append("")
for c in ["noise", "blur", "exposure"]:
    r = load("corrupt-" + c)
    if r is None: continue
    t = r["test_time_training"]
    gain = t.get("gain_test_psnr", 0.0)
    lines.append("- test-time training on %s: %s, test PSNR %.2f dB, gain %+.2f dB" % (c, "kept" if t["kept"] else "not kept", test(r), gain))
open(os.path.join(out, "summary.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
