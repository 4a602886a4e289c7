"""Splat files and datasets from Python, and the commands' errors."""
import json
import os

import pytest
import torch

import ttgs
from conftest import SHARED_DATA


def test_a_ply_round_trips_exactly(tmp_folder):
    g = torch.Generator().manual_seed(1)
    n = 50
    splats = ttgs.Splats(means=torch.randn(n, 3, generator=g), quats=torch.randn(n, 4, generator=g),
                         scales=torch.randn(n, 3, generator=g) - 3, opacities=torch.randn(n, generator=g),
                         sh=torch.randn(n, 16, 3, generator=g))
    path = os.path.join(tmp_folder, "a.ply")
    ttgs.write_ply(path, splats)
    back = ttgs.read_ply(path)
    assert len(back) == n and back.sh_degree == 3
    for field in ("means", "quats", "scales", "opacities", "sh"):
        assert torch.equal(getattr(back, field), getattr(splats, field)), field


@pytest.mark.skipif(not os.path.exists(os.path.join(SHARED_DATA, "splats/plush_dog.ply")), reason="no shared data")
def test_a_real_3dgs_file_reads_and_writes_back_identically(tmp_folder):
    splats = ttgs.read_ply(os.path.join(SHARED_DATA, "splats/plush_dog.ply"))
    assert len(splats) > 10000 and splats.sh_degree == 3 and splats.sh.shape == (len(splats), 16, 3)
    assert torch.isfinite(splats.means).all() and (splats.scales < 5).all()  # raw log-scales
    path = os.path.join(tmp_folder, "dog.ply")
    ttgs.write_ply(path, splats)
    assert torch.equal(ttgs.read_ply(path).sh, splats.sh)


def test_a_dataset_loads_with_its_split_and_cameras(small_scene):
    data = ttgs.load_dataset(small_scene)
    frames = data["frames"]
    assert len(frames) == 20 and sum(f["split"] == "test" for f in frames) == 4
    f = frames[0]
    assert f["image"].shape == (48, 64, 3) and 0 <= float(f["image"].min()) and float(f["image"].max()) <= 1
    assert torch.allclose(f["viewmat"][:3, :3] @ f["viewmat"][:3, :3].T, torch.eye(3), atol=1e-5)
    assert f["K"][2, 2] == 1 and f["K"][0, 2] == pytest.approx(32, abs=2)
    half = ttgs.load_dataset(small_scene, downscale=2)["frames"][0]
    assert half["image"].shape == (24, 32, 3) and float(half["K"][0, 0]) == pytest.approx(float(f["K"][0, 0]) / 2)


def test_bad_input_raises_a_value_error_naming_what_is_wrong(tmp_folder, small_scene):
    missing = os.path.join(tmp_folder, "nope.ply")
    with pytest.raises(ValueError, match="nope.ply"):
        ttgs.read_ply(missing)
    with pytest.raises(ttgs.InputError, match="--iters"):
        ttgs.fit(small_scene, os.path.join(tmp_folder, "out"), iters=-5)
    assert not os.path.exists(os.path.join(tmp_folder, "out", "report.json"))
    with pytest.raises(ValueError, match="unknown_option|unknown-option|not expected|extras"):
        ttgs.fit(small_scene, os.path.join(tmp_folder, "out"), unknown_option=3)


def test_refine_and_reconstruct_return_their_reports(small_scene, tmp_folder):
    fitted = os.path.join(tmp_folder, "fit")
    ttgs.fit(small_scene, fitted, iters=30)
    refined = ttgs.refine(small_scene, os.path.join(fitted, "scene.ply"), os.path.join(tmp_folder, "ref"),
                          steps_pose=5, steps_gs=5)
    before, after = refined["metrics"]["before"], refined["metrics"]["after"]
    assert after["val"]["psnr"] >= before["val"]["psnr"] - 1e-9 and after["train"]["num_images"] == 16
    learned = ttgs.reconstruct(small_scene, os.path.join(tmp_folder, "rec"), steps=8, ttt_steps=0)
    assert learned["metrics"]["test"]["psnr"] > 10


def test_train_optimizer_starts_its_worker_processes_from_python(small_scene, tmp_folder):
    # The workers are copies of the ttgs program (found beside the package or in the build tree), not of Python.
    out = os.path.join(tmp_folder, "p.ttgs")
    ttgs.run("--quiet", "train-optimizer", "--scenes", small_scene, small_scene, "--out", out, "--iters", 2,
             "--steps", 2, "--hidden", 4, "--levels", 2, "--latent", 4, "--nproc", 2)
    with open(out + ".log.jsonl") as f:
        lines = [json.loads(line) for line in f if line.strip()]
    assert len(lines) == 2 and all(len(line["scenes"]) == 2 for line in lines)
    assert os.path.exists(out)
