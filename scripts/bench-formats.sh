#!/usr/bin/env bash
# Size and PSNR lost by each splat format ttgs writes (issue #19): a fitted scene exported to every format, each
# evaluated on the dataset's test views. Usage: bench-formats.sh SCENE.ply DATA OUT [eval options, e.g. --downscale 4]
set -euo pipefail
scene=$1 data=$2 out=$3
shift 3
ttgs=${TTGS:-$(dirname "$0")/../build/src/app/ttgs}
# splat-transform's count of each file, when the test clients are installed (scripts/run-tests.sh does that).
st=$(dirname "$0")/../tests/interop/node_modules/.bin/splat-transform
count() {
  if [ -x "$st" ] && [ "${1##*.}" != glb ]; then
    "$st" -q "$1" --info json null 2>/dev/null | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["numGaussians"])'
  else echo "-"; fi
}
mkdir -p "$out"
ply_bytes=$(stat -c %s "$scene")
base=$("$ttgs" --quiet eval --scene "$scene" --data "$data" --split test --json "$@" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["psnr"])')
printf '| format | size (MB) | smaller than PLY | test PSNR (dB) | lost (dB) | Gaussians read by splat-transform |\n'
printf '| --- | --- | --- | --- | --- | --- |\n'
printf '| PLY (input) | %.2f | 1.0x | %.2f | 0 | %s |\n' "$(echo "$ply_bytes / 1000000" | bc -l)" "$base" "$(count "$scene")"
for ext in spz compressed.ply splat glb; do
  "$ttgs" --quiet export --scene "$scene" --out "$out/scene.$ext" >/dev/null
  bytes=$(stat -c %s "$out/scene.$ext")
  psnr=$("$ttgs" --quiet eval --scene "$out/scene.$ext" --data "$data" --split test --json "$@" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["psnr"])')
  printf '| %s | %.2f | %.1fx | %.2f | %.2f | %s |\n' "$ext" "$(echo "$bytes / 1000000" | bc -l)" \
    "$(echo "$ply_bytes / $bytes" | bc -l)" "$psnr" "$(echo "$base - $psnr" | bc -l)" "$(count "$out/scene.$ext")"
done
