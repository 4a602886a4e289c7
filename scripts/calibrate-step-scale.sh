#!/usr/bin/env bash
# Calibrates a learned-optimizer model's step sizes (its header's step_scale, reconstruct's default --step-scale) on
# development scenes that no benchmark uses: synthetic seeds 7001-7003 (an object and two streets) and the held-out
# real scene herzjesu-P8 of ../shared/data/real_train (never in the training corpus). Runs `ttgs reconstruct` at the
# model's defaults (test-time training on) for each scale, prints the test PSNR per scene and the mean, and with
# WRITE=1 stores the scale with the best mean in the model's header (weights untouched).
# Usage: scripts/calibrate-step-scale.sh [MODEL] [OUT_DIR]   (env: TTGS, THREADS=2, SCALES="0.4 0.55 0.7 0.85 1",
#        WRITE=1)
set -euo pipefail
cd "$(dirname "$0")/.."
TTGS=${TTGS:-build/src/app/ttgs}
MODEL=${1:-models/g3r.ttgs}
OUT=${2:-bench-out/calibrate}
THREADS=${THREADS:-2}
SCALES=${SCALES:-0.4 0.55 0.7 0.85 1}
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
for s in $SCALES; do
  for name in $names; do run reconstruct --data "$OUT/scenes/$name" --model "$MODEL" --step-scale "$s" --out "$OUT/runs/$name-$s"; done
  if [ -f "$HERZ/transforms.json" ]; then
    run reconstruct --data "$HERZ" --downscale 4 --test-every 4 --model "$MODEL" --step-scale "$s" --out "$OUT/runs/herz-$s"
  fi
done
/usr/bin/python3 - "$OUT" "$MODEL" "${WRITE:-}" $SCALES <<'PY'
import json, os, struct, sys
out, model, write, scales = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
names = ["o7001", "s7002", "s7003", "herz"]
def psnr(name, s):
    p = os.path.join(out, "runs", "%s-%s" % (name, s), "report.json")
    return json.load(open(p))["metrics"]["test"]["psnr"] if os.path.exists(p) else None
names = [n for n in names if psnr(n, scales[0]) is not None]
print("| step scale | " + " | ".join(names) + " | mean |")
print("| --- |" + " --- |" * (len(names) + 1))
best = None
for s in scales:
    row = [psnr(n, s) for n in names]
    mean = sum(row) / len(row)
    print("| %s | %s | %.2f |" % (s, " | ".join("%.2f" % v for v in row), mean))
    if best is None or mean > best[1]: best = (s, mean)
print("best mean: step scale %s (%.2f dB)" % best)
if write:
    data = open(model, "rb").read()
    assert data[:8] == b"TTGSARC1", "not a tensor archive"
    (n,) = struct.unpack("<Q", data[8:16])
    head = json.loads(data[16:16 + n])
    head["meta"]["model"]["step_scale"] = float(best[0])
    text = json.dumps(head, separators=(",", ":"), sort_keys=True).encode()
    open(model + ".tmp", "wb").write(data[:8] + struct.pack("<Q", len(text)) + text + data[16 + n:])
    os.replace(model + ".tmp", model)
    print("wrote step_scale %s into %s" % (best[0], model))
PY
