"""ttgs from Python: the rasterizer inside torch autograd, splat files, datasets, and the fit / refine / reconstruct
commands of the `ttgs` program.

For Debian's /usr/bin/python3 with Debian's python3-torch (LibTorch 1.13.1, the library ttgs itself links), so
tensors cross without copies and autograd graphs join:

    import torch, ttgs
    colors, alphas, meta = ttgs.rasterize(means, quats, scales, opacities, colors, viewmats, Ks, width, height)
    colors.sum().backward()                       # our analytic backward; viewmats receive gradients too
    splats = ttgs.read_ply("scene.ply")           # raw values: log-scales, opacity logits
    report = ttgs.fit(data="scene", out="fitted", iters=3000)   # the CLI's options, its report.json as a dict
"""
import json
import math
import os
import tempfile
from dataclasses import dataclass
from typing import Optional

# As the program does: OpenMP workers wait passively (spinning workers cost 1.5-13x on a busy machine). OpenMP reads
# this when it loads, so it takes effect only when ttgs is imported before torch; a user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "passive")

import torch  # first: loads the LibTorch the extension shares

from . import _ttgs

InputError = _ttgs.InputError  # a ValueError: bad input (the CLI's exit status 2)

__all__ = ["rasterize", "read_ply", "write_ply", "read_splats", "write_splats", "Splats", "load_dataset", "run", "fit", "refine", "reconstruct",
           "init", "synth", "evaluate", "render", "InputError", "CommandError"]

_C0 = 0.28209479177387814  # the degree-0 real spherical harmonic
_PACKAGE_MODEL = os.path.join(os.path.dirname(__file__), "g3r.ttgs")
if os.path.exists(_PACKAGE_MODEL):
    _ttgs.set_bundled_model_path(_PACKAGE_MODEL)


def _find_program():
    """The ttgs program commands start copies of (train-optimizer --nproc): installed beside the package
    (PREFIX/bin/ttgs for PREFIX/lib/python3.X/dist-packages/ttgs), else the one of the build tree."""
    installed = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "bin", "ttgs"))
    for candidate in (installed, _ttgs.BUILD_PROGRAM):
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return ""


_ttgs.set_program_path(_find_program())


# ---------------------------------------------------------------------------------------------------------------------
# Rasterization with gsplat's names, shapes and activations

def rasterize(means, quats, scales, opacities, colors, viewmats, Ks, width, height, near_plane=0.01,
              far_plane=1e10, sh_degree=None, backgrounds=None, render_mode="RGB", eps2d=0.3, rasterize_mode="classic"):
    """Renders N Gaussians into C cameras, as gsplat's `rasterization()`:

    means (N, 3); quats (N, 4) w x y z, any norm; scales (N, 3) activated (> 0); opacities (N,) in [0, 1];
    colors (N, 3) RGB, or SH coefficients (N, K, 3) with `sh_degree` (DC first; colour = SH + 0.5 clamped at 0);
    viewmats (C, 4, 4) world-to-camera (OpenCV axes); Ks (C, 3, 3); backgrounds (C, 3) or None (black).
    render_mode "RGB", "D", "ED", "RGB+D" or "RGB+ED" (D: accumulated depth, ED: depth / alpha).

    Returns (colors (C, H, W, 3 or 4 or 1), alphas (C, H, W, 1), meta) with meta["radii"] (C, N) and
    meta["means2d"] (C, N, 2). Gradients flow to every input that requires them, viewmats included, through ttgs's
    analytic backward. float32 or float64 (all inputs the same), CPU tensors.
    """
    if render_mode not in ("RGB", "D", "ED", "RGB+D", "RGB+ED"):
        raise ValueError(f"render_mode: {render_mode!r} is not RGB, D, ED, RGB+D or RGB+ED")
    if rasterize_mode not in ("classic", "antialiased"):
        raise ValueError(f"rasterize_mode: {rasterize_mode!r} is not classic or antialiased")
    n = means.shape[0]
    if viewmats.dim() != 3 or viewmats.shape[1:] != (4, 4):
        raise ValueError(f"viewmats: must be (C, 4, 4), got {tuple(viewmats.shape)}")
    if Ks.shape != (viewmats.shape[0], 3, 3):
        raise ValueError(f"Ks: must be ({viewmats.shape[0]}, 3, 3), got {tuple(Ks.shape)}")
    sh_dc, sh_rest, degree = _sh_of(colors, sh_degree, n)
    log_scales = torch.log(scales)
    eps = 1e-7 if means.dtype == torch.float64 else 1e-6
    opacity_logits = torch.logit(opacities.reshape(-1).clamp(eps, 1 - eps))
    outs = []
    for c in range(viewmats.shape[0]):
        K = Ks[c].detach()
        background = None if backgrounds is None else backgrounds[c]
        outs.append(_ttgs.render_one(means, quats, log_scales, opacity_logits, sh_dc, sh_rest, viewmats[c],
                                     float(K[0, 0]), float(K[1, 1]), float(K[0, 2]), float(K[1, 2]), int(width),
                                     int(height), background, degree, near_plane, far_plane, eps2d,
                                     rasterize_mode == "antialiased"))
    # One camera: views of its tensors (stacking, dividing and concatenating image-sized tensors that nobody asked
    # for cost ~0.8 ms of a 4 ms render at 512x384, the wrapper's whole overhead over the program).
    def batched(k):
        return outs[0][k].unsqueeze(0) if len(outs) == 1 else torch.stack([o[k] for o in outs])

    rgb, alphas = batched(0), batched(1)
    if render_mode == "RGB":
        image = rgb
    else:
        depth = batched(2)
        if render_mode.endswith("ED"):
            depth = depth / alphas.clamp_min(1e-10)
        image = depth if render_mode in ("D", "ED") else torch.cat([rgb, depth], dim=-1)
    meta = {"radii": batched(3), "means2d": batched(4),
            "width": int(width), "height": int(height), "n_cameras": viewmats.shape[0], "sh_degree": degree}
    return image, alphas, meta


def _sh_of(colors, sh_degree, n):
    """gsplat's colours as our SH DC + rest: RGB (N, 3) is a degree-0 SH whose colour is exactly the RGB."""
    if sh_degree is None:
        if colors.dim() != 2 or colors.shape != (n, 3):
            raise ValueError(f"colors: must be (N, 3) RGB without sh_degree, got {tuple(colors.shape)}")
        return (colors - 0.5) / _C0, colors.new_zeros((n, 0, 3)), 0
    k = (sh_degree + 1) ** 2
    if colors.dim() != 3 or colors.shape[0] != n or colors.shape[2] != 3 or colors.shape[1] < k:
        raise ValueError(f"colors: must be (N, K >= {k}, 3) SH coefficients for sh_degree {sh_degree}, "
                         f"got {tuple(colors.shape)}")
    # One split (its backward is one concatenation) rather than two slices (each a zero-filled copy, then added).
    parts = colors.split([1, k - 1, colors.shape[1] - k], dim=1)
    return parts[0].squeeze(1), parts[1], sh_degree


# ---------------------------------------------------------------------------------------------------------------------
# Files and datasets

@dataclass
class Splats:
    """A 3DGS scene as the INRIA .ply stores it (raw values): means (N, 3), quats (N, 4) w x y z, scales (N, 3)
    log-scales, opacities (N,) logits, sh (N, K, 3) SH coefficients with the DC first."""
    means: torch.Tensor
    quats: torch.Tensor
    scales: torch.Tensor
    opacities: torch.Tensor
    sh: torch.Tensor

    @property
    def sh_degree(self) -> int:
        return int(round(math.sqrt(self.sh.shape[1]))) - 1

    def __len__(self):
        return self.means.shape[0]


def read_splats(path) -> Splats:
    """Any splat file ttgs reads: .ply (INRIA), .compressed.ply (PlayCanvas), .splat (antimatter15), .spz (Niantic,
    versions 2-4), .glb (glTF 2.0 with KHR_gaussian_splatting); values converted to the INRIA PLY's raw ones."""
    d = _ttgs.read_splats(os.fspath(path))
    return Splats(d["means"], d["quats"], d["scales"], d["opacities"], d["sh"])


def write_splats(path, splats: Splats):
    """Writes the format the name says (see read_splats), atomically; values raw, as in `Splats`."""
    _ttgs.write_splats(os.fspath(path), splats.means, splats.quats, splats.scales, splats.opacities, splats.sh)


read_ply = read_splats    # gsplat users' names; any format is accepted
write_ply = write_splats


def load_dataset(path, downscale=1, test_every=8):
    """Any dataset `ttgs` reads (nerfstudio/instant-ngp transforms.json, COLMAP, DGP, drivestudio, ttgs synth), as a
    dict: "frames" (each: name, image (H, W, 3) in [0, 1], mask, depth, viewmat (4, 4) world-to-camera, K (3, 3),
    width, height, time, sensor, split "train", "test" or "none"), "points" (M, 3) and "point_colors" when the source has
    them, "format", "path"."""
    return _ttgs.load_dataset(os.fspath(path), int(downscale), int(test_every))


# ---------------------------------------------------------------------------------------------------------------------
# The program's commands, in process

class CommandError(RuntimeError):
    """A command failed inside (the CLI's exit status 1)."""


def run(*args):
    """Runs one `ttgs` command line in this process, e.g. run("synth", "--out", "scene", "--seed", "3").
    Bad input raises InputError (a ValueError), an internal failure CommandError."""
    code, message = _ttgs.run(["ttgs"] + [str(a) for a in args])
    if code == 2:
        raise InputError(message)
    if code != 0:
        raise CommandError(message)


def _arguments(options):
    """keyword options -> CLI arguments: iters=300 -> --iters 300, full_batch=True -> --full-batch, False and None
    -> omitted, a list -> the option followed by each item."""
    args = []
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)):
            args += [flag] + [os.fspath(v) if isinstance(v, os.PathLike) else str(v) for v in value]
        else:
            args += [flag, os.fspath(value) if isinstance(value, os.PathLike) else str(value)]
    return args


def _command_with_report(command, data, out, options):
    run(command, "--quiet", *_arguments({"data": data, "out": out, **options}))
    with open(os.path.join(os.fspath(out), "report.json")) as f:
        return json.load(f)


def fit(data, out, **options):
    """`ttgs fit --data DATA --out OUT ...` with the same options (see `ttgs fit --help`); returns report.json."""
    return _command_with_report("fit", data, out, options)


def refine(data, init, out, **options):
    """`ttgs refine --data DATA --init INIT --out OUT ...` (see `ttgs refine --help`); returns report.json."""
    return _command_with_report("refine", data, out, {"init": init, **options})


def reconstruct(data, out, **options):
    """`ttgs reconstruct --data DATA --out OUT ...` (see `ttgs reconstruct --help`); returns report.json."""
    return _command_with_report("reconstruct", data, out, options)


def init(data, out, **options):
    """`ttgs init --data DATA --out OUT ...`: a 4D scene folder with no optimization."""
    run("init", "--quiet", *_arguments({"data": data, "out": out, **options}))


def synth(out, **options):
    """`ttgs synth --out OUT ...`: a synthetic dataset with exact ground truth."""
    run("synth", "--quiet", *_arguments({"out": out, **options}))


def evaluate(scene, data, **options):
    """`ttgs eval --scene SCENE --data DATA ...` (see `ttgs eval --help`); returns the metrics as a dict."""
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "eval.json")
        run("eval", "--quiet", *_arguments({"scene": scene, "data": data, "out": path, **options}))
        with open(path) as f:
            return json.load(f)


def render(scene, data, out, **options):
    """`ttgs render --scene SCENE --data DATA --out OUT ...`: PNG renders of the dataset's cameras."""
    run("render", "--quiet", *_arguments({"scene": scene, "data": data, "out": out, **options}))
