// `ttgs bench render ...`: rasterizer timings on a freshly-initialized-like scene, as one JSON object or text.
// `ttgs bench fit --data D ... [--target-psnr P]... [--json]`: time to quality of `ttgs fit` with the same options:
// test PSNR every --eval-every iterations against the optimization time alone, and the time each target is reached.
#include <CLI/CLI.hpp>
#include <cstdio>

#include <nlohmann/json.hpp>

#include "app/commands.hpp"
#include "app/fit_inputs.hpp"
#include "app/scene_inputs.hpp"
#include "core/error.hpp"
#include "core/memory.hpp"
#include "fit/benchmark.hpp"

namespace ttgs::app {

namespace {

void add_bench_fit_command(CLI::App& bench) {
  struct Options {
    FitInputs in;
    std::vector<double> targets;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  o->in.fit.eval_every = 100;
  o->in.fit.checkpoint_every = 0;
  CLI::App* cmd = bench.add_subcommand("fit", "Time to quality of ttgs fit: test PSNR against optimization time");
  add_fit_inputs(*cmd, o->in);
  cmd->add_option("--target-psnr", o->targets, "Test PSNR to time (dB); repeatable");
  cmd->add_flag("--json", o->json, "Print one JSON object");
  cmd->callback([o] {
    o->in.fit.score_training_views = false;  // timing the optimization and its test curve only
    const io::Dataset ds = prepare_fit(o->in);
    if (ds.test.empty()) throw InputError("--data", "has no test views to measure quality on (see --test-every)");
    if (o->in.fit.eval_every < 1) throw InputError("--eval-every", "must be at least 1 for a quality curve");
    const fit::FitResult r = run_fit(o->in, ds, fit_start(o->in, ds));
    const std::vector<fit::QualityPoint> curve = fit::quality_curve(r.history);
    nlohmann::json j = {{"data", o->in.data}, {"iters", o->in.fit.iters}, {"eval_every", o->in.fit.eval_every},
                        {"downscale", o->in.load.downscale}, {"test_views", ds.test.size()},
                        {"train_views", ds.train.size()}, {"final_test_psnr", r.test.psnr},
                        {"peak_resident_mib", peak_resident_mib()}};
    for (const fit::QualityPoint& p : curve)
      j["curve"].push_back({{"step", p.step}, {"optimization_s", p.optimization_s}, {"test_psnr", p.test_psnr},
                            {"num_gaussians", p.num_gaussians}});
    for (double target : o->targets) {
      const double t = fit::time_to_psnr(curve, target);
      j["time_to_psnr"].push_back({{"psnr", target}, {"optimization_s", t >= 0 ? nlohmann::json(t) : nlohmann::json()}});
    }
    if (o->json) {
      std::printf("%s\n", j.dump().c_str());
      return;
    }
    for (const fit::QualityPoint& p : curve)
      std::printf("step %6d  %8.2f s  test PSNR %6.2f dB  %lld Gaussians\n", p.step, p.optimization_s, p.test_psnr,
                  static_cast<long long>(p.num_gaussians));
    for (double target : o->targets) {
      const double t = fit::time_to_psnr(curve, target);
      if (t >= 0) std::printf("%.2f dB reached after %.2f s of optimization\n", target, t);
      else std::printf("%.2f dB not reached in %d iterations\n", target, o->in.fit.iters);
    }
  });
}

}  // namespace

void add_bench_command(CLI::App& root) {
  CLI::App* bench = root.add_subcommand("bench", "Benchmarks");
  bench->require_subcommand(1);
  add_bench_fit_command(*bench);
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
