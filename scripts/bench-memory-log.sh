#!/bin/bash
# Peak memory of a long driving log's images (issue #15): N frames of 1920x1280 (PNG photos, masks and 16-bit depth
# maps from `ttgs synth --preset street`, 24 distinct views repeated under new names as a static dataset), loaded at
# full size and trained for a few iterations by `ttgs bench fit`, whose JSON carries the peak resident memory.
#   scripts/bench-memory-log.sh [N] [fit options...]   (default 1200; TTGS=path/to/ttgs; SCENE=a folder to keep
#   the generated 24 views in between runs, else a temporary one)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-1200}
shift || true
ttgs=${TTGS:-$here/build/src/app/ttgs}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
scene=${SCENE:-$dir/scene}
if [ ! -f "$scene/transforms.json" ]; then
  "$ttgs" synth --preset street --seed 11 --cameras 3 --views 8 --novel 0 --width 1920 --height 1280 \
    --supersample 1 --out "$scene" >&2
fi
/usr/bin/python3 - "$scene" "$dir/log" "$n" <<'PY'
import json, os, sys
scene, out, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
meta = json.load(open(os.path.join(scene, "transforms.json")))
views = meta["frames"]
for sub in ("images", "masks", "depth"):
    os.makedirs(os.path.join(out, sub))
frames = []
for i in range(n):
    src = dict(views[i % len(views)])
    for key in ("time", "camera", "view_kind", "label_path", "depth_npy_path"):
        src.pop(key, None)
    for key, sub, ext in (("file_path", "images", "png"), ("mask_path", "masks", "png"), ("depth_file_path", "depth", "png")):
        name = "%s/%05d.%s" % (sub, i, ext)
        os.symlink(os.path.join(scene, src[key]), os.path.join(out, name))
        src[key] = name
    frames.append(src)
for key in ("rig", "train_filenames", "test_filenames", "masks_exclude"):
    meta.pop(key, None)
meta["frames"] = frames
meta["ply_file_path"] = os.path.join(scene, meta["ply_file_path"])
json.dump(meta, open(os.path.join(out, "transforms.json"), "w"))
PY
echo "dataset: $n frames of 1920x1280 (photo, mask, depth) in $dir/log" >&2
"$ttgs" bench fit --data "$dir/log" --iters "${ITERS:-20}" --eval-every "${ITERS:-20}" --test-every 100 \
  --max-gaussians 20000 --threads 2 --json "$@"
