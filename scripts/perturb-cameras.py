#!/usr/bin/env python3
"""Perturb the cameras of a nerfstudio/instant-ngp transforms.json, for refinement benchmarks.

Every frame but the first (with --frames train: every training frame but the first, the test frames untouched) is
turned by DEG degrees about a random axis (about its own centre) and its centre moved
by TRANS times the camera-path radius (mean distance of the centres from their mean) in a random direction. Image
paths are made absolute so the output can live anywhere.

    scripts/perturb-cameras.py IN/transforms.json OUT/transforms.json [--deg 2] [--trans 0.05] [--seed 0] [--frames all|train]
"""
import argparse
import json
import math
import os
import random


def rotation(axis, angle):
    x, y, z = axis
    c, s, t = math.cos(angle), math.sin(angle), 1 - math.cos(angle)
    return [[t * x * x + c, t * x * y - s * z, t * x * z + s * y],
            [t * x * y + s * z, t * y * y + c, t * y * z - s * x],
            [t * x * z - s * y, t * y * z + s * x, t * z * z + c]]


def unit(rng, dims=3):
    while True:
        v = [rng.gauss(0, 1) for _ in range(dims)]
        n = math.sqrt(sum(a * a for a in v))
        if n > 1e-6:
            return [a / n for a in v]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--deg", type=float, default=2.0)
    p.add_argument("--trans", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--frames", choices=["all", "train"], default="all")
    a = p.parse_args()
    with open(a.src) as f:
        meta = json.load(f)
    frames = meta["frames"]
    centres = [[fr["transform_matrix"][r][3] for r in range(3)] for fr in frames]
    mean = [sum(c[k] for c in centres) / len(centres) for k in range(3)]
    radius = sum(math.dist(c, mean) for c in centres) / len(centres)
    rng = random.Random(a.seed)
    base = os.path.dirname(os.path.abspath(a.src))
    train = meta.get("train_filenames")
    if a.frames == "train" and train is None:
        p.error("--frames train: %s has no train_filenames" % a.src)
    first = True
    count = 0
    for fr in frames:
        name = fr["file_path"]
        fr["file_path"] = os.path.join(base, fr["file_path"])
        for key in ("mask_path", "depth_file_path"):
            if key in fr:
                fr[key] = os.path.join(base, fr[key])
        if a.frames == "train" and name not in train and os.path.basename(name) not in train:
            continue
        if first:
            first = False
            continue
        count += 1
        m = fr["transform_matrix"]
        r = rotation(unit(rng), math.radians(a.deg))
        rot = [[sum(r[i2][k] * m[k][j] for k in range(3)) for j in range(3)] for i2 in range(3)]
        shift = [d * a.trans * radius for d in unit(rng)]
        for row in range(3):
            m[row][:3] = rot[row]
            m[row][3] += shift[row]
    if "ply_file_path" in meta:
        meta["ply_file_path"] = os.path.join(base, meta["ply_file_path"])
    os.makedirs(os.path.dirname(os.path.abspath(a.dst)), exist_ok=True)
    tmp = a.dst + ".partial"
    with open(tmp, "w") as f:
        json.dump(meta, f, indent=2)
    os.replace(tmp, a.dst)
    print("perturbed %d of %d frames: %.2f deg, %.3f of the radius %.3f" % (count, len(frames), a.deg,
                                                                           a.trans, radius))


if __name__ == "__main__":
    main()
