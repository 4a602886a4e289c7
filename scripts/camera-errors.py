#!/usr/bin/env python3
"""Camera errors between two transforms.json files with the same frames (matched by image file name): rotation
angle in degrees and centre distance as a fraction of the camera-path radius of the first file; mean and max.

    scripts/camera-errors.py TRUE/transforms.json OTHER/transforms.json
"""
import json
import math
import os
import sys


def cameras(path):
    with open(path) as f:
        frames = json.load(f)["frames"]
    return {os.path.basename(fr["file_path"]): fr["transform_matrix"] for fr in frames}


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    truth, other = cameras(sys.argv[1]), cameras(sys.argv[2])
    names = sorted(set(truth) & set(other))
    if not names:
        sys.exit("camera-errors: no frame in common")
    centres = [[truth[n][r][3] for r in range(3)] for n in names]
    mean = [sum(c[k] for c in centres) / len(centres) for k in range(3)]
    radius = sum(math.dist(c, mean) for c in centres) / len(centres)
    rot, trans = [], []
    for n in names:
        a, b = truth[n], other[n]
        # angle of A^T B from its trace
        tr = sum(a[k][i] * b[k][i] for i in range(3) for k in range(3))
        rot.append(math.degrees(math.acos(max(-1.0, min(1.0, (tr - 1) / 2)))))
        trans.append(math.dist([a[r][3] for r in range(3)], [b[r][3] for r in range(3)]) / radius)
    print(json.dumps({"frames": len(names), "rotation_deg_mean": sum(rot) / len(rot), "rotation_deg_max": max(rot),
                      "translation_mean": sum(trans) / len(trans), "translation_max": max(trans)}))


if __name__ == "__main__":
    main()
