import os
import shutil
import tempfile

import pytest
import torch

import ttgs

SHARED_DATA = os.environ.get("TTGS_SHARED_DATA", os.path.join(os.path.dirname(__file__), "../../../shared/data"))


@pytest.fixture
def tmp_folder():
    path = tempfile.mkdtemp(prefix="ttgs-py-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def small_scene():
    """A 64x48 synthetic object scene (16 training views, 4 novel) generated once for the session."""
    path = tempfile.mkdtemp(prefix="ttgs-py-scene-")
    ttgs.synth(os.path.join(path, "scene"), seed=11, views=16, novel=4, width=64, height=48, scaffold_points=3000)
    yield os.path.join(path, "scene")
    shutil.rmtree(path, ignore_errors=True)


def psnr(a, b):
    return float(-10 * torch.log10(((a - b) ** 2).mean()))
