#!/usr/bin/env python3
"""Pose errors of a time-stamped scene against the truth: cameras (transforms.json, frames matched by image file
name) and actor boxes (actors.json, poses matched by actor name and time).

    scripts/street-errors.py TRUE_DIR OTHER_DIR [--json]

Prints the mean and max camera rotation error (degrees) and centre error (scene units), and the mean and max
actor box-centre error (scene units) and yaw error (degrees). Importable: errors(true_dir, other_dir) -> dict.
"""
import json
import math
import os
import sys


def cameras(path):
    with open(os.path.join(path, "transforms.json")) as f:
        frames = json.load(f)["frames"]
    return {os.path.basename(fr["file_path"]): fr["transform_matrix"] for fr in frames}


def actor_poses(path):
    with open(os.path.join(path, "actors.json")) as f:
        actors = json.load(f)["actors"]
    return {(a["name"], round(p["time"], 6)): p["transform_matrix"] for a in actors for p in a["poses"]}


def angle(a, b):  # degrees of the rotation between the 3x3 parts of a and b
    tr = sum(a[k][i] * b[k][i] for i in range(3) for k in range(3))
    return math.degrees(math.acos(max(-1.0, min(1.0, (tr - 1) / 2))))


def summary(values):
    return {"mean": sum(values) / len(values), "max": max(values), "count": len(values)} if values else None


def errors(true_dir, other_dir):
    truth, other = cameras(true_dir), cameras(other_dir)
    names = sorted(set(truth) & set(other))
    rot = [angle(truth[n], other[n]) for n in names]
    pos = [math.dist([truth[n][r][3] for r in range(3)], [other[n][r][3] for r in range(3)]) for n in names]
    out = {"camera_rotation_deg": summary(rot), "camera_centre": summary(pos)}
    if os.path.exists(os.path.join(true_dir, "actors.json")) and os.path.exists(os.path.join(other_dir, "actors.json")):
        ta, oa = actor_poses(true_dir), actor_poses(other_dir)
        keys = sorted(set(ta) & set(oa))
        out["actor_centre"] = summary([math.dist([ta[k][r][3] for r in range(3)], [oa[k][r][3] for r in range(3)])
                                       for k in keys])
        out["actor_yaw_deg"] = summary([angle(ta[k], oa[k]) for k in keys])
    return out


def main():
    args = [a for a in sys.argv[1:] if a != "--json"]
    if len(args) != 2:
        sys.exit(__doc__)
    e = errors(args[0], args[1])
    if "--json" in sys.argv:
        print(json.dumps(e))
        return
    for key, s in e.items():
        if s:
            print("%-20s mean %.4f  max %.4f  (%d)" % (key, s["mean"], s["max"], s["count"]))


if __name__ == "__main__":
    main()
