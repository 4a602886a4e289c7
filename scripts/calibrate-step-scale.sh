#!/usr/bin/env bash
# Calibrates a learned-optimizer model's step sizes per T (its header's step_scales, reconstruct's default
# --step-scale) on development scenes that no benchmark uses: synthetic seeds 7001-7003 (an object and two streets)
# and the held-out real scene herzjesu-P8 of ../shared/data/real_train (never in the training corpus). For each T in
# STEPS and each scale in SCALES it runs `ttgs reconstruct --steps T --step-scale S` (test-time training on), prints
# the test PSNR per scene and the mean, and with WRITE=1 stores each T's scale with the best mean in the model's
# header (weights untouched; reconstruct interpolates linearly in T between calibrated counts).
# Usage: scripts/calibrate-step-scale.sh [MODEL] [OUT_DIR]   (env: TTGS, THREADS=2, STEPS="24 12",
#        SCALES="0.4 0.55 0.7 0.85 1 1.2", WRITE=1)
set -euo pipefail
cd "$(dirname "$0")/.."
TTGS=${TTGS:-build/src/app/ttgs}
MODEL=${1:-models/g3r.ttgs}
OUT=${2:-bench-out/calibrate}
THREADS=${THREADS:-2}
SCALES=${SCALES:-0.4 0.55 0.7 0.85 1 1.2}
STEPS=${STEPS:-24 12}
HERZ=../shared/data/real_train/herzjesu_P8_ns
mkdir -p "$OUT/scenes" "$OUT/runs"
run() { "$TTGS" --quiet "$@" --threads "$THREADS" >/dev/null; }
# name seed preset width height views
SCENES="o7001:7001:object:160:120:24 s7002:7002:street:160:120:24 s7003:7003:street:200:150:32"
names=""
for spec in $SCENES; do
  IFS=: read -r name seed preset w h views <<<"$spec"
  [ -f "$OUT/scenes/$name/transforms.json" ] || run synth --out "$OUT/scenes/$name" --preset "$preset" --views "$views" \
    --novel $((views / 4)) --width "$w" --height "$h" --points 3000 --seed "$seed"
  names="$names $name"
done
for T in $STEPS; do
  for s in $SCALES; do
    for name in $names; do
      [ -f "$OUT/runs/$name-T$T-$s/report.json" ] || run reconstruct --data "$OUT/scenes/$name" --model "$MODEL" \
        --steps "$T" --step-scale "$s" --out "$OUT/runs/$name-T$T-$s"
    done
    if [ -f "$HERZ/transforms.json" ] && [ ! -f "$OUT/runs/herz-T$T-$s/report.json" ]; then
      run reconstruct --data "$HERZ" --downscale 4 --test-every 4 --model "$MODEL" --steps "$T" --step-scale "$s" \
        --out "$OUT/runs/herz-T$T-$s"
    fi
  done
done
/usr/bin/python3 - "$OUT" "$MODEL" "${WRITE:-}" "$STEPS" $SCALES <<'PY'
import json, os, struct, sys
out, model, write, steps, scales = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4].split(), sys.argv[5:]
def psnr(name, t, s):
    p = os.path.join(out, "runs", "%s-T%s-%s" % (name, t, s), "report.json")
    return json.load(open(p))["metrics"]["test"]["psnr"] if os.path.exists(p) else None
names = [n for n in ["o7001", "s7002", "s7003", "herz"] if psnr(n, steps[0], scales[0]) is not None]
best = {}
for t in steps:
    print("T = %s\n\n| step scale | %s | mean |\n| --- |%s" % (t, " | ".join(names), " --- |" * (len(names) + 1)))
    for s in scales:
        row = [psnr(n, t, s) for n in names]
        mean = sum(row) / len(row)
        print("| %s | %s | %.2f |" % (s, " | ".join("%.2f" % v for v in row), mean))
        if t not in best or mean > best[t][1]: best[t] = (s, mean)
    print("\nbest mean at T = %s: step scale %s (%.2f dB)\n" % (t, best[t][0], best[t][1]))
if write:
    data = open(model, "rb").read()
    assert data[:8] == b"TTGSARC1", "not a tensor archive"
    (n,) = struct.unpack("<Q", data[8:16])
    head = json.loads(data[16:16 + n])
    head["meta"]["model"]["step_scales"] = {t: float(b[0]) for t, b in best.items()}
    text = json.dumps(head, separators=(",", ":"), sort_keys=True).encode()
    open(model + ".tmp", "wb").write(data[:8] + struct.pack("<Q", len(text)) + text + data[16 + n:])
    os.replace(model + ".tmp", model)
    print("wrote step_scales %s into %s" % (head["meta"]["model"]["step_scales"], model))
PY
