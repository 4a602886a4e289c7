"""ttgs.rasterize: gsplat's conventions, gradients against finite differences, and agreement with `ttgs eval`."""
import math
import os

import pytest
import torch

import ttgs
from conftest import psnr


def look_at_viewmat(eye, target, dtype):
    """World-to-camera (OpenCV axes: x right, y down, z forward) of a camera at eye looking at target, world up +z."""
    eye, target = torch.tensor(eye, dtype=dtype), torch.tensor(target, dtype=dtype)
    z = target - eye
    z = z / z.norm()
    x = torch.linalg.cross(z, torch.tensor([0.0, 0.0, 1.0], dtype=dtype))
    x = x / x.norm()
    y = torch.linalg.cross(z, x)
    R = torch.stack([x, y, z])
    m = torch.eye(4, dtype=dtype)
    m[:3, :3] = R
    m[:3, 3] = -R @ eye
    return m


def small_scene(dtype, n=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    means = (torch.rand(n, 3, generator=g, dtype=dtype) - 0.5) * 0.8
    quats = torch.randn(n, 4, generator=g, dtype=dtype)
    scales = 0.15 + 0.1 * torch.rand(n, 3, generator=g, dtype=dtype)
    opacities = 0.5 + 0.3 * torch.rand(n, generator=g, dtype=dtype)
    colors = torch.rand(n, 3, generator=g, dtype=dtype)
    viewmats = torch.stack([look_at_viewmat([2.5, 0.3, 0.4], [0, 0, 0], dtype),
                            look_at_viewmat([0.2, -2.4, 0.8], [0, 0, 0], dtype)])
    Ks = torch.tensor([[40.0, 0, 16.0], [0, 40.0, 12.0], [0, 0, 1]], dtype=dtype).expand(2, 3, 3).clone()
    return means, quats, scales, opacities, colors, viewmats, Ks


def test_shapes_and_a_gaussian_lands_where_the_pinhole_model_puts_it():
    means, quats, scales, opacities, colors, viewmats, Ks = small_scene(torch.float32)
    rgb, alpha, meta = ttgs.rasterize(means, quats, scales, opacities, colors, viewmats, Ks, 32, 24)
    assert rgb.shape == (2, 24, 32, 3) and alpha.shape == (2, 24, 32, 1)
    assert meta["radii"].shape == (2, 6) and meta["means2d"].shape == (2, 6, 2)
    cam = viewmats[0, :3, :3] @ means[0] + viewmats[0, :3, 3]
    expected = torch.stack([Ks[0, 0, 0] * cam[0] / cam[2] + Ks[0, 0, 2], Ks[0, 1, 1] * cam[1] / cam[2] + Ks[0, 1, 2]])
    assert torch.allclose(meta["means2d"][0, 0], expected, atol=1e-4)
    # One opaque, wide Gaussian in front of the camera: its RGB is the pixel colour (gsplat: colours not activated).
    one = [t[:1] for t in (means, quats)] + [torch.full((1, 3), 5.0), torch.tensor([0.999]),
                                              torch.tensor([[0.2, 0.4, 0.6]])]
    rgb1, alpha1, _ = ttgs.rasterize(*one, viewmats[:1], Ks[:1], 32, 24)
    centre = rgb1[0, 12, 16] / alpha1[0, 12, 16]
    assert torch.allclose(centre, torch.tensor([0.2, 0.4, 0.6]), atol=1e-3)
    # A background is composited under the transmittance: rgb_bg = rgb + (1 - alpha) * background at every pixel.
    background = torch.tensor([[0.0, 1.0, 0.0], [0.3, 0.3, 0.9]])
    rgb, alpha, _ = ttgs.rasterize(means, quats, scales, opacities, colors, viewmats, Ks, 32, 24)
    rgb_bg, _, _ = ttgs.rasterize(means, quats, scales, opacities, colors, viewmats, Ks, 32, 24, backgrounds=background)
    assert torch.allclose(rgb_bg, rgb + (1 - alpha) * background[:, None, None, :], atol=1e-5)
    assert (alpha < 0.5).any() and (alpha > 0.5).any()


def test_depth_modes():
    means, quats, scales, opacities, colors, viewmats, Ks = small_scene(torch.float32)
    out, alpha, _ = ttgs.rasterize(means, quats, scales, opacities, colors, viewmats, Ks, 32, 24, render_mode="RGB+ED")
    assert out.shape[-1] == 4
    covered = alpha[..., 0] > 0.5
    depth = out[..., 3][covered]
    # Expected depth of covered pixels lies between the nearest and farthest Gaussian's camera depth (padded by size).
    z = torch.einsum("cj,nj->cn", viewmats[:, 2, :3], means) + viewmats[:, 2, 3:]
    assert depth.min() > z.min() - 0.5 and depth.max() < z.max() + 0.5
    plain, _, _ = ttgs.rasterize(means, quats, scales, opacities, colors, viewmats, Ks, 32, 24, render_mode="D")
    assert torch.allclose(plain, out[..., 3:] * alpha, atol=1e-4)
    with pytest.raises(ValueError, match="render_mode"):
        ttgs.rasterize(means, quats, scales, opacities, colors, viewmats, Ks, 32, 24, render_mode="XYZ")


@pytest.mark.parametrize("sh_degree", [None, 1])
def test_gradients_match_finite_differences(sh_degree):
    torch.manual_seed(3)
    means, quats, scales, opacities, colors, viewmats, Ks = small_scene(torch.float64)
    if sh_degree is not None:
        colors = torch.cat([((colors - 0.5) / 0.28209479177387814)[:, None, :],
                            0.2 * torch.randn(colors.shape[0], 3, 3, dtype=torch.float64)], dim=1)
    weights = torch.rand(2, 24, 32, 3, dtype=torch.float64)
    alpha_weights = torch.rand(2, 24, 32, 1, dtype=torch.float64)

    def loss(means, quats, scales, opacities, colors, viewmats):
        rgb, alpha, _ = ttgs.rasterize(means, quats, scales, opacities, colors, viewmats, Ks, 32, 24,
                                       sh_degree=sh_degree)
        return (rgb * weights).sum() + (alpha * alpha_weights).sum()

    inputs = [t.clone().requires_grad_(True) for t in (means, quats, scales, opacities, colors, viewmats)]
    assert torch.autograd.gradcheck(loss, inputs, eps=1e-6, atol=2e-5, rtol=2e-3)


def test_a_render_from_python_scores_what_ttgs_eval_scores(small_scene, tmp_folder):
    """The same scene and camera through Python and through `ttgs eval`: the same PSNR (conventions agree)."""
    fitted = os.path.join(tmp_folder, "fit")
    report = ttgs.fit(small_scene, fitted, iters=60, threads=2)
    assert report["iters"] == 60 and report["num_gaussians"] > 0
    splats = ttgs.read_ply(os.path.join(fitted, "scene.ply"))
    data = ttgs.load_dataset(small_scene)
    metrics = ttgs.evaluate(os.path.join(fitted, "scene.ply"), small_scene, split="test")
    by_name = {m["name"]: m["psnr"] for m in metrics["per_image"]}
    tests = [f for f in data["frames"] if f["split"] == "test"]
    assert tests and len(tests) == len(by_name)
    for f in tests:
        rgb, _, _ = ttgs.rasterize(splats.means, splats.quats, splats.scales.exp(), torch.sigmoid(splats.opacities),
                                   splats.sh, f["viewmat"][None], f["K"][None], f["width"], f["height"],
                                   sh_degree=splats.sh_degree)
        assert abs(psnr(rgb[0].clamp(0, 1), f["image"]) - by_name[f["name"]]) < 0.05
