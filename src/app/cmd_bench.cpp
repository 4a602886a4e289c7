// `ttgs bench render ...`: rasterizer timings on a freshly-initialized-like scene, as one JSON object or text.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/commands.hpp"
#include "app/scene_inputs.hpp"
#include "core/error.hpp"
#include "fit/benchmark.hpp"

namespace ttgs::app {

void add_bench_command(CLI::App& root) {
  CLI::App* bench = root.add_subcommand("bench", "Benchmarks");
  bench->require_subcommand(1);
  struct Options {
    fit::BenchOptions bench;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = bench->add_subcommand("render", "Time forward, backward and a full training iteration of the rasterizer");
  cmd->add_option("--width", o->bench.width, "Image width")->capture_default_str();
  cmd->add_option("--height", o->bench.height, "Image height")->capture_default_str();
  cmd->add_option("--gaussians", o->bench.gaussians, "Gaussian count")->capture_default_str();
  cmd->add_option("--iters", o->bench.iters, "Timed iterations (medians are reported)")->capture_default_str();
  add_threads_option(*cmd, o->bench.threads);
  cmd->add_option("--seed", o->bench.seed, "Scene seed")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->add_option("--save-scene", o->bench.save_scene,
                  "Also write the timed Gaussians (.ply; camera at the origin looking down +z, fx = fy = 0.8 width)");
  cmd->callback([o] {
    const auto& b = o->bench;
    if (b.width < 16 || b.height < 16 || b.width > 8192 || b.height > 8192)
      throw InputError("--width/--height", "image size must be between 16 and 8192");
    if (b.gaussians < 4) throw InputError("--gaussians", "needs at least 4 Gaussians");
    if (b.iters < 1) throw InputError("--iters", "must be at least 1");
    const fit::BenchResult r = fit::benchmark_render(b);
    if (o->json) {
      std::printf("%s\n", r.to_json(b).c_str());
    } else {
      std::printf("%dx%d, %lld Gaussians (%lld visible, %.1f per pixel), %d threads: forward %.2f ms, backward %.2f ms, "
                  "training iteration %.2f ms (medians of %d)\n",
                  b.width, b.height, static_cast<long long>(b.gaussians), static_cast<long long>(r.visible),
                  r.splats_per_pixel, r.threads, r.forward_ms, r.backward_ms, r.iteration_ms, b.iters);
    }
  });
}

}  // namespace ttgs::app
