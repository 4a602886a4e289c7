"""From Python vs the CLI: one rasterizer forward + backward (and a training iteration) on the scene `ttgs bench
render` times, through `ttgs.rasterize` inside torch autograd. Run with Debian's interpreter:

    PYTHONPATH=build/python /usr/bin/python3 bench/python_iteration.py [--width 512 --height 384 --gaussians 1500]

Prints one JSON object: the CLI's medians, Python's, and their ratios (issue #19: within 10%). Timed as the CLI
times itself: forward + backward is the median forward plus the median backward of the weighted image sum (the sum
itself untimed)."""
import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time

import ttgs  # before torch: ttgs asks OpenMP for passive waiting, as the program does

import torch


def median_ms(fn, iters, warmup):
    times = []
    for k in range(warmup + iters):
        t0 = time.perf_counter()
        fn()
        if k >= warmup:
            times.append(1000 * (time.perf_counter() - t0))
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--width", type=int, default=512)
    p.add_argument("--height", type=int, default=384)
    p.add_argument("--gaussians", type=int, default=1500)
    p.add_argument("--iters", type=int, default=30)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--binary", default=os.environ.get("TTGS_BINARY", "build/src/app/ttgs"))
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    with tempfile.TemporaryDirectory() as tmp:
        scene = os.path.join(tmp, "bench.ply")
        cli = json.loads(subprocess.run(
            [a.binary, "--quiet", "bench", "render", "--width", str(a.width), "--height", str(a.height),
             "--gaussians", str(a.gaussians), "--iters", str(a.iters), "--threads", str(a.threads), "--json",
             "--save-scene", scene], check=True, capture_output=True, text=True).stdout)
        splats = ttgs.read_ply(scene)
    params = {"means": splats.means, "quats": splats.quats, "scales": splats.scales,
              "opacities": splats.opacities, "sh": splats.sh}
    for t in params.values():
        t.requires_grad_(True)
    viewmats = torch.eye(4)[None]
    f = 0.8 * a.width
    Ks = torch.tensor([[f, 0, 0.5 * a.width], [0, f, 0.5 * a.height], [0, 0, 1]])[None]
    torch.manual_seed(0)
    target = torch.rand(a.height, a.width, 3)
    weights = torch.rand(a.height, a.width, 3)

    def render():
        rgb, _, _ = ttgs.rasterize(params["means"], params["quats"], params["scales"].exp(),
                                   torch.sigmoid(params["opacities"]), params["sh"], viewmats, Ks, a.width, a.height,
                                   sh_degree=splats.sh_degree)
        return rgb  # (1, H, W, 3): the weights and target broadcast (a select would add a copy the CLI has not)

    holder = {}
    forward = median_ms(lambda: holder.update(rgb=render()), a.iters, 3)

    # As the CLI times it: the forward, then (untimed) the weighted sum, then its backward alone.
    backward_times = []

    def backward():
        for t in params.values():
            t.grad = None
        loss = (render() * weights).sum()
        t0 = time.perf_counter()
        loss.backward()
        backward_times.append(1000 * (time.perf_counter() - t0))

    median_ms(backward, a.iters, 3)
    forward_backward = forward + statistics.median(backward_times[3:])
    optimizer = torch.optim.Adam(params.values(), lr=1e-3, eps=1e-15)

    def iteration():
        optimizer.zero_grad()
        (render() - target).abs().mean().backward()
        optimizer.step()

    iteration_ms = median_ms(iteration, a.iters, 3)
    cli_fb = cli["forward_ms"] + cli["backward_ms"]
    print(json.dumps({
        "width": a.width, "height": a.height, "gaussians": a.gaussians, "threads": a.threads,
        "cli": {"forward_ms": cli["forward_ms"], "forward_backward_ms": cli_fb, "iteration_ms": cli["iteration_ms"],
                "iteration_parts_ms": cli["iteration_parts_ms"]},
        "python": {"forward_ms": forward, "forward_backward_ms": forward_backward,
                   "iteration_l1_torch_adam_ms": iteration_ms},
        "ratio_forward": forward / cli["forward_ms"], "ratio_forward_backward": forward_backward / cli_fb,
    }, indent=1))


if __name__ == "__main__":
    main()
