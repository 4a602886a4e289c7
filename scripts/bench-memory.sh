#!/bin/bash
# Peak memory of a large photo dataset (issue #17): N frames of 1080x1920 JPEG photos with lens distortion (the fox
# scene's real photos, repeated under new names, its COLMAP points), loaded at full size and trained for a few
# iterations by `ttgs bench fit`, whose JSON carries the process's peak resident memory.
#   scripts/bench-memory.sh [FOX_DIR] [N]       (defaults: ../shared/data/fox, 500; TTGS=path/to/ttgs)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
fox=$(cd "${1:-$here/../shared/data/fox}" && pwd)
n=${2:-500}
ttgs=${TTGS:-$here/build/src/app/ttgs}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
/usr/bin/python3 - "$fox" "$dir" "$n" <<'PY'
import json, os, sys
fox, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
meta = json.load(open(os.path.join(fox, "transforms.json")))
present = [f for f in meta["frames"] if os.path.exists(os.path.join(fox, f["file_path"]))]
os.makedirs(os.path.join(out, "images"))
frames = []
for i in range(n):
    src = present[i % len(present)]
    name = "images/%04d.jpg" % i
    os.symlink(os.path.join(fox, src["file_path"]), os.path.join(out, name))
    frames.append(dict(src, file_path=name))
meta["frames"] = frames
os.symlink(os.path.join(fox, "points3D.ply"), os.path.join(out, "points3D.ply"))
json.dump(meta, open(os.path.join(out, "transforms.json"), "w"))
PY
echo "dataset: $n frames of 1080x1920 in $dir" >&2
"$ttgs" bench fit --data "$dir" --iters "${ITERS:-20}" --eval-every "${ITERS:-20}" --test-every 50 \
  --max-gaussians 20000 --threads 2 --json
