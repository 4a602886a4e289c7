"""A real client reads what ttgs writes and writes what ttgs reads: PlayCanvas's splat-transform 3.7.0 (npm,
installed by scripts/run-tests.sh into tests/interop/node_modules) against ttgs's SPZ, compressed PLY, .splat and
glTF files. Skips when Node or the package is missing."""
import json
import os
import shutil
import subprocess
import tempfile

import pytest
import torch

import ttgs

HERE = os.path.dirname(os.path.abspath(__file__))
SPLAT_TRANSFORM = os.path.join(HERE, "node_modules", ".bin", "splat-transform")
TTGS = os.environ.get("TTGS_BINARY", "ttgs")
pytestmark = pytest.mark.skipif(not (os.path.exists(SPLAT_TRANSFORM) and shutil.which("node")),
                                reason="splat-transform not installed (npm install in tests/interop)")


@pytest.fixture
def folder():
    path = tempfile.mkdtemp(prefix="ttgs-interop-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def source_scene(folder):
    """700 Gaussians of SH degree 3 in plausible ranges (3 chunks of the compressed PLY), unit quaternions."""
    g = torch.Generator().manual_seed(5)
    n = 700
    quats = torch.randn(n, 4, generator=g)
    quats = quats / quats.norm(dim=1, keepdim=True)  # splat-transform's .splat writer clips unnormalized ones
    splats = ttgs.Splats(means=torch.rand(n, 3, generator=g) * 6 - 3, quats=quats,
                         scales=torch.rand(n, 3, generator=g) * 6 - 7, opacities=torch.randn(n, generator=g) * 2,
                         sh=torch.cat([torch.rand(n, 1, 3, generator=g) * 3 - 1.5,
                                       torch.rand(n, 15, 3, generator=g) * 0.6 - 0.3], dim=1))
    path = os.path.join(folder, "source.ply")
    ttgs.write_splats(path, splats)
    return path, ttgs.read_splats(path)


def splat_transform(*args):
    return subprocess.run([SPLAT_TRANSFORM, *args], check=True, capture_output=True, text=True).stdout


def info(path):
    return json.loads(splat_transform("-q", path, "--info", "json", "null"))


def nearest(a, b):
    return torch.cdist(a.means, b.means).argmin(dim=1)


def assert_close(a, b, position, color, sh, reordered=False):
    """Same Gaussians up to the formats' quantization (b possibly reordered)."""
    assert len(a) == len(b)
    idx = nearest(a, b) if reordered else torch.arange(len(a))
    take = lambda t: t[idx]
    assert (a.means - take(b.means)).abs().max() <= position
    assert (torch.sigmoid(a.opacities) - torch.sigmoid(take(b.opacities))).abs().max() <= 1.01 / 255
    assert 0.28209479 * (a.sh[:, 0] - take(b.sh)[:, 0]).abs().max() <= color
    qa = a.quats / a.quats.norm(dim=1, keepdim=True)
    qb = take(b.quats) / take(b.quats).norm(dim=1, keepdim=True)
    assert (qa * qb).sum(dim=1).abs().min() >= 0.999
    if sh is not None:
        assert (a.sh[:, 1:] - take(b.sh)[:, 1:]).abs().max() <= sh


def test_splat_transform_reads_what_ttgs_writes(folder):
    source, splats = source_scene(folder)
    for ext, bands in (("spz", 3), ("compressed.ply", 3), ("splat", 0), ("ply", 3)):
        mine = os.path.join(folder, "mine." + ext)
        subprocess.run([TTGS, "--quiet", "export", "--scene", source, "--out", mine], check=True)
        described = info(mine)
        assert described["numGaussians"] == len(splats) and described["shBands"] == bands, (ext, described)
        # Decoded by splat-transform into a float PLY: the same values ttgs decodes from its own file.
        theirs = os.path.join(folder, "theirs_" + ext.replace(".", "_") + ".ply")
        splat_transform("-q", "-w", mine, theirs)
        ours, decoded = ttgs.read_splats(mine), ttgs.read_splats(theirs)
        assert_close(ours, decoded, 1e-5, 2e-3, 2e-3 if bands else None)


@pytest.mark.parametrize("ext,options", [("spz", []), ("spz", ["--spz-version", "3"]), ("compressed.ply", []),
                                         ("splat", []), ("glb", [])])
def test_ttgs_reads_what_splat_transform_writes(folder, ext, options):
    source, splats = source_scene(folder)
    theirs = os.path.join(folder, "theirs." + ext)
    splat_transform("-q", "-w", *options, source, theirs)
    read = ttgs.read_splats(theirs)
    # Against the source, within each format's quantization (compressed PLY is reordered by splat-transform).
    position = {"spz": 2e-4, "compressed.ply": 6 / 1023, "splat": 1e-6, "glb": 1e-6}[ext]
    color = {"spz": 0.5 / 38.25 * 0.2821 + 1e-4, "compressed.ply": 3.0 / 255, "splat": 1.01 / 255, "glb": 1e-5}[ext]
    # SPZ from splat-transform: Niantic's 4-bit steps (8/128) after rounding to 1/128.
    sh = {"spz": 8.5 / 128.0 + 1e-6, "compressed.ply": 8 / 256.0, "splat": None, "glb": 1e-5}[ext]
    if ext == "splat":
        # .splat holds colours clamped to [0, 1]: compare those Gaussians whose colour is in range.
        keep = ((0.5 + 0.28209479 * splats.sh[:, 0]).clamp(0, 1) == 0.5 + 0.28209479 * splats.sh[:, 0]).all(dim=1)
        idx = nearest(splats, read)
        a = ttgs.Splats(*(getattr(splats, k)[keep] for k in ("means", "quats", "scales", "opacities", "sh")))
        b = ttgs.Splats(*(getattr(read, k)[idx][keep] for k in ("means", "quats", "scales", "opacities", "sh")))
        assert_close(a, b, position, color, None)
        assert len(read) == len(splats)
        return
    assert_close(splats, read, position, color, sh, reordered=(ext == "compressed.ply"))
