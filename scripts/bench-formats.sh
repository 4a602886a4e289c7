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
test_psnr() {
  "$ttgs" --quiet eval --scene "$1" --data "$data" --split test --json "${options[@]}" |
    /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["psnr"])'
}
# One table row: format, bytes, PSNR (size and loss against the input's).
row() {
  awk -v f="$1" -v b="$2" -v p="$3" -v pb="$ply_bytes" -v base="$base" -v c="$4" \
    'BEGIN { printf "| %s | %.2f | %.1fx | %.2f | %.2f | %s |\n", f, b / 1e6, pb / b, p, base - p, c }'
}
options=("$@")
ply_bytes=$(stat -c %s "$scene")
base=$(test_psnr "$scene")
printf '| format | size (MB) | smaller than PLY | test PSNR (dB) | lost (dB) | Gaussians read by splat-transform |\n'
printf '| --- | --- | --- | --- | --- | --- |\n'
row "PLY (input)" "$ply_bytes" "$base" "$(count "$scene")"
for ext in spz compressed.ply splat glb; do
  "$ttgs" --quiet export --scene "$scene" --out "$out/scene.$ext" >/dev/null
  row "$ext" "$(stat -c %s "$out/scene.$ext")" "$(test_psnr "$out/scene.$ext")" "$(count "$out/scene.$ext")"
done
