#!/usr/bin/env python3
"""Camera errors between two transforms.json files with the same frames (matched by image file name): rotation
angle in degrees and centre distance as a fraction of the camera-path radius of the first file; mean and max.

    scripts/camera-errors.py TRUE/transforms.json OTHER/transforms.json [--frames a.png,b.png,...]

Importable: errors(true_path, other_path, names=None) -> {name: (rotation_deg, translation_fraction)}.
"""
import json
import math
import os
import sys


def cameras(path):
    with open(path) as f:
        frames = json.load(f)["frames"]
    return {os.path.basename(fr["file_path"]): fr["transform_matrix"] for fr in frames}


def errors(true_path, other_path, names=None):
    truth, other = cameras(true_path), cameras(other_path)
    centres = [[m[r][3] for r in range(3)] for m in truth.values()]
    mean = [sum(c[k] for c in centres) / len(centres) for k in range(3)]
    radius = sum(math.dist(c, mean) for c in centres) / len(centres)
    out = {}
    for n in sorted(set(truth) & set(other)):
        if names is not None and n not in names:
            continue
        a, b = truth[n], other[n]
        # angle of A^T B from its trace
        tr = sum(a[k][i] * b[k][i] for i in range(3) for k in range(3))
        out[n] = (math.degrees(math.acos(max(-1.0, min(1.0, (tr - 1) / 2)))),
                  math.dist([a[r][3] for r in range(3)], [b[r][3] for r in range(3)]) / radius)
    return out


def main():
    args = sys.argv[1:]
    names = None
    if len(args) == 4 and args[2] == "--frames":
        names = set(os.path.basename(n) for n in args[3].split(","))
        args = args[:2]
    if len(args) != 2:
        sys.exit(__doc__)
    e = errors(args[0], args[1], names)
    if not e:
        sys.exit("camera-errors: no frame in common")
    rot = [r for r, _ in e.values()]
    trans = [t for _, t in e.values()]
    print(json.dumps({"frames": len(e), "rotation_deg_mean": sum(rot) / len(rot), "rotation_deg_max": max(rot),
                      "translation_mean": sum(trans) / len(trans), "translation_max": max(trans)}))


if __name__ == "__main__":
    main()
