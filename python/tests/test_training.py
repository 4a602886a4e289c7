"""A training loop written in Python: ttgs.rasterize inside torch autograd, torch.optim.Adam, on a synthetic scene."""
import math

import torch

import ttgs
from conftest import psnr


def initial_gaussians(points, colors):
    """3DGS's initialization from a point cloud: isotropic scales from the mean distance to 3 nearest neighbours."""
    d = torch.cdist(points, points)
    d.fill_diagonal_(float("inf"))
    nearest = d.topk(3, largest=False).values.mean(dim=1).clamp_min(1e-4)
    n = points.shape[0]
    return {
        "means": points.clone(),
        "quats": torch.tensor([1.0, 0, 0, 0]).repeat(n, 1),
        "log_scales": nearest.log()[:, None].repeat(1, 3),
        "opacity_logits": torch.full((n,), math.log(0.1 / 0.9)),
        "colors": colors.clone() if colors is not None else torch.full((n, 3), 0.5),
    }


def render(params, frame):
    rgb, _, _ = ttgs.rasterize(params["means"], params["quats"], params["log_scales"].exp(),
                               torch.sigmoid(params["opacity_logits"]), params["colors"], frame["viewmat"][None],
                               frame["K"][None], frame["width"], frame["height"])
    return rgb[0]


def test_two_hundred_adam_steps_in_python_reach_21_db_on_novel_views(small_scene):
    torch.manual_seed(0)
    data = ttgs.load_dataset(small_scene)
    train = [f for f in data["frames"] if f["split"] == "train"]
    test = [f for f in data["frames"] if f["split"] == "test"]
    params = {k: v.requires_grad_(True) for k, v in initial_gaussians(data["points"], data["point_colors"]).items()}
    rates = {"means": 1.6e-4 * 5, "quats": 1e-3, "log_scales": 5e-3, "opacity_logits": 5e-2, "colors": 1e-2}
    optimizer = torch.optim.Adam([{"params": [params[k]], "lr": lr} for k, lr in rates.items()], eps=1e-15)
    start = sum(psnr(render(params, f).detach().clamp(0, 1), f["image"]) for f in test) / len(test)
    for step in range(200):
        frame = train[step % len(train)]
        loss = (render(params, frame) - frame["image"]).abs().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        end = sum(psnr(render(params, f).clamp(0, 1), f["image"]) for f in test) / len(test)
    print(f"test PSNR {start:.2f} -> {end:.2f} dB")
    assert end > start + 10 and end >= 21.0  # seed 11: 8.2 -> 23.2 dB (ttgs fit, 200 iterations, seeds 13-15: 21.6-26.7)
