#!/usr/bin/env python3
"""Perturb a time-stamped transforms.json (ttgs synth --preset street) the way a bad log is bad, for 4D refinement
benchmarks: every timestamp but the first moves its whole rig (all its cameras and its ego pose) by one rigid
motion — a turn of DEG degrees about a random axis through the vehicle (the mean of its cameras' centres) and a shift
of TRANS times the ego path length in a random direction — and every actor pose in actors.json is shifted by SHIFT
(scene units) in a random direction in its box's x-y plane and turned by YAW degrees (random sign) about its z axis.

    scripts/perturb-street.py IN_DIR OUT_DIR [--deg 1] [--trans 0.02] [--shift 0.3] [--yaw 3] [--seed 0]

OUT_DIR gets transforms.json (paths made absolute, so it can live anywhere) and actors.json.
"""
import argparse
import importlib.util
import json
import math
import os
import random


def _perturb_cameras():  # scripts/perturb-cameras.py, for its rotation() and unit()
    spec = importlib.util.spec_from_file_location("perturb_cameras", os.path.join(os.path.dirname(__file__),
                                                                                  "perturb-cameras.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_shared = _perturb_cameras()
rotation, unit = _shared.rotation, _shared.unit  # unit(rng, dims=3): a random unit vector


def matmul(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(4)) for j in range(4)] for i in range(4)]


def rigid(r, t):
    return [r[0] + [t[0]], r[1] + [t[1]], r[2] + [t[2]], [0.0, 0.0, 0.0, 1.0]]


def absolute(base, path):
    return path if os.path.isabs(path) else os.path.join(base, path)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("src")
    p.add_argument("dst")
    p.add_argument("--deg", type=float, default=1.0)
    p.add_argument("--trans", type=float, default=0.02)
    p.add_argument("--shift", type=float, default=0.3)
    p.add_argument("--yaw", type=float, default=3.0)
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args()
    base = os.path.abspath(a.src)
    with open(os.path.join(base, "transforms.json")) as f:
        meta = json.load(f)
    rng = random.Random(a.seed)
    frames = meta["frames"]
    times = sorted(set(fr["time"] for fr in frames))
    centres = {t: [0.0, 0.0, 0.0] for t in times}
    counts = {t: 0 for t in times}
    for fr in frames:
        for r in range(3):
            centres[fr["time"]][r] += fr["transform_matrix"][r][3]
        counts[fr["time"]] += 1
    centres = {t: [c / counts[t] for c in centres[t]] for t in times}
    path = sum(math.dist(centres[times[k]], centres[times[k + 1]]) for k in range(len(times) - 1))
    motion = {times[0]: None}
    for t in times[1:]:
        rot = rotation(unit(rng), math.radians(a.deg))
        c = centres[t]
        shift = [d * a.trans * path for d in unit(rng)]
        # x -> R (x - c) + c + shift
        offset = [c[i] - sum(rot[i][k] * c[k] for k in range(3)) + shift[i] for i in range(3)]
        motion[t] = rigid(rot, offset)
    for fr in frames:
        for key in ("file_path", "mask_path", "depth_file_path", "depth_npy_path", "label_path"):
            if key in fr:
                fr[key] = absolute(base, fr[key])
        if motion[fr["time"]] is not None:
            fr["transform_matrix"] = matmul(motion[fr["time"]], fr["transform_matrix"])
    for ego in meta.get("rig", {}).get("ego_poses", []):
        m = motion.get(ego["time"])
        if m is not None:
            ego["transform_matrix"] = matmul(m, ego["transform_matrix"])
    for sweep in meta.get("lidar", []):
        sweep["file_path"] = absolute(base, sweep["file_path"])
    if "ply_file_path" in meta:
        meta["ply_file_path"] = absolute(base, meta["ply_file_path"])
    with open(os.path.join(base, "actors.json")) as f:
        actors = json.load(f)
    moved = 0
    for actor in actors["actors"]:
        local_at = {}  # one perturbation per timestamp (an actor may list a pose per frame of a timestamp)
        for pose in actor["poses"]:
            if pose["time"] not in local_at:
                dx, dy = unit(rng, 2)
                yaw = math.radians(a.yaw) * (1 if rng.random() < 0.5 else -1)
                # In the box frame: shift along x/y, turn about z.
                local_at[pose["time"]] = rigid(rotation([0.0, 0.0, 1.0], yaw), [dx * a.shift, dy * a.shift, 0.0])
                moved += 1
            pose["transform_matrix"] = matmul(pose["transform_matrix"], local_at[pose["time"]])
            if "file_path" in pose:
                pose["file_path"] = absolute(base, pose["file_path"])
    os.makedirs(a.dst, exist_ok=True)
    for name, data in (("transforms.json", meta), ("actors.json", actors)):
        tmp = os.path.join(a.dst, name + ".partial")
        with open(tmp, "w") as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, os.path.join(a.dst, name))
    print("perturbed %d timestamps (%.2f deg, %.3f of the ego path %.2f) and %d actor poses (%.2f, %.1f deg)" % (
        len(times) - 1, a.deg, a.trans, path, moved, a.shift, a.yaw))


if __name__ == "__main__":
    main()
