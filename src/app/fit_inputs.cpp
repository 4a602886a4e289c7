#include "app/fit_inputs.hpp"

#include <CLI/CLI.hpp>

#include "core/error.hpp"
#include "core/log.hpp"
#include "io/splat_formats.hpp"
#include "model/init.hpp"
#include "model/scene_init.hpp"
#include "model/threads.hpp"

namespace ttgs::app {

void add_fit_inputs(CLI::App& cmd, FitInputs& o) {
  cmd.add_option("--data", o.data, "Dataset folder, transforms.json, or COLMAP model")->required();
  cmd.add_option("--iters", o.fit.iters, "Iterations")->capture_default_str();
  add_load_options(cmd, o.load);
  add_image_memory_option(cmd, o.load);
  cmd.add_option("--init", o.init, "Initial point cloud (.ply) or 3DGS scene (.ply, .spz, .splat, .compressed.ply, "
                                   ".glb) (default: the dataset's points, else random)");
  cmd.add_option("--sh-degree", o.fit.sh_degree,
                 "Spherical-harmonics degree, reached step by step: raised every quarter of --iters (every 500 to "
                 "1000 iterations)")
      ->capture_default_str();
  cmd.add_option("--strategy", o.strategy, "Densification: default (3DGS clone/split/prune) or mcmc (fixed budget)")
      ->check(CLI::IsMember({"default", "mcmc"}))
      ->capture_default_str();
  cmd.add_option("--max-gaussians", o.max_gaussians,
                 "Cap on the Gaussian count (default: 3,000,000; mcmc: 1,000,000, its fixed budget)");
  cmd.add_option("--densify-start", o.densify_start, "First iteration that densifies (default: 500)");
  cmd.add_option("--densify-stop", o.densify_stop,
                 "Iteration where densification stops (default: 15000, mcmc 25000; at most 80% of --iters)");
  cmd.add_option("--densify-every", o.densify_every, "Iterations between densifications (default: 100)");
  cmd.add_option("--densify-grad", o.densify_grad,
                 "Mean screen-space gradient (normalized device units) above which a Gaussian is cloned or split "
                 "(default strategy; default: 0.0002)");
  cmd.add_option("--opacity-reset-every", o.opacity_reset_every, "Iterations between opacity resets (default strategy; default: 3000)");
  cmd.add_option("--warmup-steps", o.fit.warmup_steps,
                 "Resolution warm-up: the first N iterations train on photos downscaled by --warmup-downscale "
                 "(default: a third of --iters when the downscaled photos keep 128 pixels on their smaller side, "
                 "else 0)")
      ->check(non_negative_whole())
      ->default_str("auto");
  cmd.add_option("--warmup-downscale", o.fit.warmup_downscale, "Downscale factor of the resolution warm-up")
      ->capture_default_str();
  cmd.add_option("--stop-plateau", o.fit.stop_plateau,
                 "Stop once densification has ended and a test evaluation (--eval-every) gains less than this many dB "
                 "over the previous one (0 = never)")
      ->capture_default_str();
  cmd.add_flag("--full-batch", o.fit.full_batch,
               "Every step uses all training views (gradients summed) with step decay of the learning rates");
  cmd.add_option("--random-init", o.random_count, "Gaussians of the random initialization (datasets without points)")
      ->capture_default_str();
  cmd.add_option("--lpips", o.lpips, "TorchScript LPIPS model for the final evaluation (else reported unavailable)");
  cmd.add_option("--eval-every", o.fit.eval_every, "Evaluate on the test views every N iterations (0 = at the end)")
      ->capture_default_str();
  cmd.add_flag("--random-background", o.fit.random_background, "Random background colour each step");
  add_scene_part_options(cmd, o.parts);
  cmd.add_option("--seed", o.fit.seed, "Seed")->capture_default_str();
  add_threads_option(cmd, o.threads);
}

namespace {
void apply_densify_options(FitInputs& o) {
  const auto at_least = [](int v, int min, const char* name) {
    if (v != -1 && v < min) throw InputError(name, "must be at least " + std::to_string(min));
    return v != -1;
  };
  optim::DefaultStrategyOptions& d = o.fit.strategy;
  optim::McmcStrategyOptions& m = o.fit.mcmc;
  if (at_least(o.densify_start, 0, "--densify-start")) d.refine_start = m.refine_start = o.densify_start;
  if (at_least(o.densify_stop, 0, "--densify-stop")) d.refine_stop = m.refine_stop = o.densify_stop;
  if (at_least(o.densify_every, 1, "--densify-every")) d.refine_every = m.refine_every = o.densify_every;
  if (at_least(o.opacity_reset_every, 1, "--opacity-reset-every")) d.reset_every = o.opacity_reset_every;
  if (o.densify_grad != -1) {
    if (!(o.densify_grad > 0)) throw InputError("--densify-grad", "must be positive");
    d.grad_threshold = o.densify_grad;
  }
}
}  // namespace

io::Dataset prepare_fit(FitInputs& o) {
  model::configure_threads(o.threads);
  if (o.strategy == "mcmc") o.fit.strategy_kind = fit::StrategyKind::kMcmc;
  if (o.max_gaussians < 0) throw InputError("--max-gaussians", "must not be negative");
  if (o.max_gaussians > 0) o.fit.strategy.max_gaussians = o.fit.mcmc.max_gaussians = o.max_gaussians;
  if (o.random_count < 1) throw InputError("--random-init", "must be at least 1");
  apply_densify_options(o);
  fit::check_options(o.fit);
  if (!o.lpips.empty()) o.fit.lpips = std::make_shared<eval::LpipsModel>(o.lpips);
  return io::load_dataset(o.data, o.load);
}

namespace {

model::Gaussians initial_gaussians(const FitInputs& o, const io::Dataset& ds, const model::InitOptions& init) {
  if (!o.init.empty()) {
    const io::SplatsOrPoints start = io::read_splats_or_points(o.init);
    return start.splats ? model::from_splat_data(*start.splats) : model::init_from_points(start.points, init);
  }
  if (ds.points && ds.points->size() > 0) return model::init_from_points(*ds.points, init);
  note("no points in the dataset: random initialization of " + std::to_string(o.random_count) + " Gaussians");
  std::vector<Camera> cams;
  for (size_t i : ds.train) cams.push_back(ds.frames[i].camera);
  model::RandomInitOptions r;
  r.base = init;
  r.count = o.random_count;
  r.seed = o.fit.seed;
  return model::init_random(cams, r);
}

}  // namespace

FitStart fit_start(const FitInputs& o, const io::Dataset& ds) {
  model::InitOptions init;
  init.sh_degree = o.fit.sh_degree;
  FitStart start;
  start.gaussians = initial_gaussians(o, ds, init);
  model::SceneInitOptions si;
  si.base = init;
  apply_scene_parts(o.parts, ds, si);
  si.lidar = o.init.empty();
  si.seed = o.fit.seed;
  if ((si.actors && !ds.actors.empty()) || si.environment || si.appearance || si.antialiased)
    start.scene = model::init_scene(ds, start.gaussians, si);
  return start;
}

fit::FitResult run_fit(const FitInputs& o, const io::Dataset& ds, const FitStart& start) {
  return start.scene ? fit::fit(ds, *start.scene, o.fit) : fit::fit(ds, start.gaussians, o.fit);
}

}  // namespace ttgs::app
