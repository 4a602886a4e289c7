// `ttgs fit --data PATH --out DIR ...`: per-scene optimization, then scene.ply, cameras.json and report.json;
// DIR/checkpoint.ttgs along the way.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "app/commands.hpp"
#include "app/scene_inputs.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "fit/outputs.hpp"
#include "io/file_util.hpp"
#include "io/ply.hpp"
#include "io/splat_formats.hpp"
#include "model/init.hpp"
#include "model/scene_init.hpp"
#include "model/threads.hpp"

namespace ttgs::app {

void add_fit_command(CLI::App& root) {
  struct Options {
    std::string data, out, init;
    io::LoadOptions load;
    fit::FitOptions fit;
    int threads = 0;
    int64_t random_count = 100000;
    int64_t max_gaussians = 0;
    std::string strategy = "default", lpips;
    ScenePartToggles parts;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = root.add_subcommand("fit", "Fit a 3DGS scene to a dataset by per-scene optimization");
  cmd->add_option("--data", o->data, "Dataset folder, transforms.json, or COLMAP model")->required();
  cmd->add_option("--out", o->out, "Output folder (scene.ply, cameras.json, report.json)")->required();
  cmd->add_option("--iters", o->fit.iters, "Iterations")->capture_default_str();
  add_load_options(*cmd, o->load);
  cmd->add_option("--init", o->init, "Initial point cloud (.ply) or 3DGS scene (.ply, .spz, .splat, .compressed.ply, .glb) (default: the dataset's points, else random)");
  cmd->add_option("--sh-degree", o->fit.sh_degree, "Spherical-harmonics degree, raised every 1000 iterations")
      ->capture_default_str();
  cmd->add_option("--strategy", o->strategy, "Densification: default (3DGS clone/split/prune) or mcmc (fixed budget)")
      ->check(CLI::IsMember({"default", "mcmc"}))
      ->capture_default_str();
  cmd->add_option("--max-gaussians", o->max_gaussians,
                  "Cap on the Gaussian count (default: 3,000,000; mcmc: 1,000,000, its fixed budget)");
  cmd->add_flag("--full-batch", o->fit.full_batch,
                "Every step uses all training views (gradients summed) with step decay of the learning rates");
  cmd->add_option("--random-init", o->random_count, "Gaussians of the random initialization (datasets without points)")
      ->capture_default_str();
  cmd->add_option("--checkpoint-every", o->fit.checkpoint_every, "Write DIR/checkpoint.ttgs every N iterations (0: never)")
      ->capture_default_str();
  cmd->add_flag("--resume", o->fit.resume, "Continue from DIR/checkpoint.ttgs (same options and threads: bit-identical)");
  cmd->add_option("--lpips", o->lpips, "TorchScript LPIPS model for the final evaluation (else reported unavailable)");
  cmd->add_option("--eval-every", o->fit.eval_every, "Evaluate on the test views every N iterations (0 = at the end)")
      ->capture_default_str();
  cmd->add_flag("--random-background", o->fit.random_background, "Random background colour each step");
  add_scene_part_options(*cmd, o->parts);
  cmd->add_option("--seed", o->fit.seed, "Seed")->capture_default_str();
  add_threads_option(*cmd, o->threads);
  cmd->callback([o] {
    model::configure_threads(o->threads);
    if (o->strategy == "mcmc") o->fit.strategy_kind = fit::StrategyKind::kMcmc;
    if (o->max_gaussians < 0) throw InputError("--max-gaussians", "must not be negative");
    if (o->max_gaussians > 0) o->fit.strategy.max_gaussians = o->fit.mcmc.max_gaussians = o->max_gaussians;
    if (o->random_count < 1) throw InputError("--random-init", "must be at least 1");
    fit::check_options(o->fit);
    if (!o->lpips.empty()) o->fit.lpips = std::make_shared<eval::LpipsModel>(o->lpips);
    o->fit.checkpoint_path = io::join_path(o->out, "checkpoint.ttgs");
    const io::Dataset ds = io::load_dataset(o->data, o->load);
    model::InitOptions init;
    init.sh_degree = o->fit.sh_degree;
    model::Gaussians g;
    if (!o->init.empty()) {
      const io::SplatsOrPoints start = io::read_splats_or_points(o->init);
      g = start.splats ? model::from_splat_data(*start.splats) : model::init_from_points(start.points, init);
    } else if (ds.points && ds.points->size() > 0) {
      g = model::init_from_points(*ds.points, init);
    } else {
      note("no points in the dataset: random initialization of " + std::to_string(o->random_count) + " Gaussians");
      std::vector<Camera> cams;
      for (size_t i : ds.train) cams.push_back(ds.frames[i].camera);
      model::RandomInitOptions r;
      r.base = init;
      r.count = o->random_count;
      r.seed = o->fit.seed;
      g = model::init_random(cams, r);
    }
    std::error_code ec;
    std::filesystem::create_directories(o->out, ec);
    if (!io::is_directory(o->out)) throw InputError(o->out, "cannot create the output folder");
    model::SceneInitOptions si;
    si.base = init;
    apply_scene_parts(o->parts, ds, si);
    si.lidar = o->init.empty();
    si.seed = o->fit.seed;
    const bool scene_model = (si.actors && !ds.actors.empty()) || si.environment || si.appearance;
    const fit::FitResult r =
        scene_model ? fit::fit(ds, model::init_scene(ds, g, si), o->fit) : fit::fit(ds, g, o->fit);
    fit::write_outputs(o->out, r, o->fit, ds);
    std::printf("fitted %lld Gaussians in %.1f s (%.1f ms/iteration); train PSNR %.2f dB", static_cast<long long>(r.gaussians.size()),
                r.time_s, 1000 * r.time_s / o->fit.iters, r.train.psnr);
    if (!r.test.images.empty()) std::printf(", test PSNR %.2f dB SSIM %.4f", r.test.psnr, r.test.ssim);
    std::printf("\nwrote %s/scene.ply and %s/report.json\n", o->out.c_str(), o->out.c_str());
  });
}

}  // namespace ttgs::app
