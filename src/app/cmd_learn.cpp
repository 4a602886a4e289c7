// `ttgs reconstruct`: the learned optimizer on a new scene, with its baselines.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "app/cli.hpp"
#include "app/commands.hpp"
#include "app/scene_inputs.hpp"
#include "core/error.hpp"
#include "core/memory.hpp"
#include "eval/evaluate.hpp"
#include "io/file_util.hpp"
#include "io/ply.hpp"
#include "io/splat_formats.hpp"
#include "fit/trainer.hpp"
#include "learn/baselines.hpp"
#include "learn/reconstruct.hpp"
#include "model/threads.hpp"

namespace ttgs::app {
namespace {

nlohmann::json baseline_json(const learn::BaselineRun& b, const io::Dataset& ds) {
  nlohmann::json run = {{"method", b.full_batch ? "full-batch Adam (ttgs fit --full-batch), same initial Gaussians"
                                                : "ttgs fit, same initial Gaussians, as many iterations as the "
                                                  "reconstruction took view renders (view_renders)"},
                        {"steps", b.steps}, {"time_s", b.time_s}, {"num_gaussians", b.num_gaussians},
                        {"train_psnr", b.train_psnr}};
  if (!ds.test.empty()) {
    run["test_psnr"] = b.test_psnr;
    run["matches_learned_test_psnr_at"] =
        b.match_step > 0 ? nlohmann::json{{"step", b.match_step}, {"time_s", b.match_time_s}} : nlohmann::json();
  }
  std::printf("baseline %s %d steps, %.1f s: train PSNR %.2f dB", b.full_batch ? "full-batch Adam" : "ttgs fit",
              b.steps, b.time_s, b.train_psnr);
  if (!ds.test.empty()) std::printf(", test PSNR %.2f dB", b.test_psnr);
  std::printf("\n");
  return run;
}

// Full-batch Adam for T, 10T, 40T steps (or the given counts), then plain fit at the learned steps' view renders.
// Test views are evaluated every T steps (every training-view count for fit; not timed) to find when each first
// matches the learned result.
nlohmann::json run_baselines(const io::Dataset& ds, const learn::ReconstructResult& rec, const std::vector<int>& steps,
                             uint64_t seed, double learned_psnr) {
  const int T = rec.steps, views = int(ds.train.size()), renders = int(rec.view_renders);
  const std::vector<int> counts = steps.empty() ? std::vector<int>{T, 10 * T, 40 * T} : steps;
  nlohmann::json runs = nlohmann::json::array();
  for (const learn::BaselineRun& b : learn::full_batch_adam_baselines(ds, rec.initial, counts, seed, T, learned_psnr))
    runs.push_back(baseline_json(b, ds));
  runs.push_back(baseline_json(learn::plain_fit_baseline(ds, rec.initial, renders, seed, views, learned_psnr), ds));
  return runs;
}

// The learned result continued by plain fit (learned steps, then K Adam steps): its own row, never the learned one.
nlohmann::json run_hybrid(const io::Dataset& ds, const learn::ReconstructResult& rec, int iters, uint64_t seed) {
  fit::FitOptions o;
  o.iters = iters;
  o.eval_every = 0;
  o.seed = seed;
  o.warmup_steps = 0;  // it continues a reconstruction: no steps on half-size photos first
  const fit::FitResult f = fit::fit(ds, rec.gaussians, o);
  nlohmann::json row = {{"method", "learned steps, then ttgs fit"}, {"learned_steps", rec.steps},
                        {"fit_iters", iters}, {"time_s", rec.time_s + f.time_s}, {"num_gaussians", f.gaussians.size()},
                        {"train_psnr", f.train.psnr}};
  std::printf("hybrid: %d learned steps + %d fit iterations, %.1f s: train PSNR %.2f dB", rec.steps, iters,
              rec.time_s + f.time_s, f.train.psnr);
  if (!ds.test.empty()) {
    row["test_psnr"] = f.test.psnr;
    std::printf(", test PSNR %.2f dB", f.test.psnr);
  }
  std::printf("\n");
  return row;
}

}  // namespace

void add_reconstruct_command(CLI::App& root) {
  struct Options {
    std::string data, out, model, points;
    int threads = 0, hybrid_iters = 0;
    bool baselines = false;
    std::vector<int> baseline_steps;
    learn::ReconstructOptions run;
    io::LoadOptions load;
  };
  auto o = std::make_shared<Options>();
  learn::ReconstructOptions& r = o->run;
  r.compare_unadapted = true;
  CLI::App* cmd = root.add_subcommand("reconstruct", "Reconstruct a scene with the learned optimizer (T network steps)");
  cmd->add_option("--data", o->data, "Dataset folder, transforms.json, or COLMAP model (needs points)")->required();
  cmd->add_option("--out", o->out, "Output folder (scene.ply, report.json)")->required();
  cmd->add_option("--model", o->model, "Learned-optimizer model file (default: the bundled g3r.ttgs, found beside the "
                                        "program: ../share/ttgs/, then the source tree's models/)");
  cmd->add_option("--init,--points", o->points, "What to start from instead of the dataset's points: a point cloud "
                                                 "or 3DGS .ply (its x y z [red green blue])");
  cmd->add_option("--steps", r.steps, "T (default: what the model was trained for)");
  CLI::Option* ttt_steps = cmd->add_option("--ttt-steps", r.ttt.steps, "Test-time training: the final learned steps "
                  "that adapt the decoder from their own renders (0 = off; default: the steps after the 12th, at least T/4)");
  cmd->add_option("--ttt-lr", r.ttt.lr, "Test-time training: Adam learning rate")->capture_default_str();
  cmd->add_option("--ttt-check-views", r.ttt.check_views, "Test-time training: source views held out of the "
                  "adapting steps to check the adaptation (at most a quarter of them)")->capture_default_str();
  cmd->add_option("--step-scale", r.step_scale, "Multiplier of the learned steps' sizes (default: the model's "
                  "calibrated one)");
  cmd->add_flag("--baselines", o->baselines, "Also run full-batch Adam from the same initialization for T, 10T and "
                                             "40T steps, and ttgs fit for T x training views iterations (the same "
                                             "number of view renders), and report their time and PSNR");
  cmd->add_option("--hybrid-iters", o->hybrid_iters, "Hybrid: also continue the learned result with this many ttgs "
                                                     "fit iterations and report it as its own row (0 = off)")
      ->capture_default_str();
  cmd->add_option("--baseline-steps", o->baseline_steps, "Step counts of the baselines (implies --baselines; default "
                                                         "T, 10T, 40T)")->delimiter(',');
  add_load_options(*cmd, o->load);
  CLI::Option* per_step = cmd->add_option("--views-per-step", r.views_per_step, "Source views each learned step renders for its gradient "
                 "(0 = all; default: what the model was trained with; the choice rotates over the views)");
  cmd->add_option("--seed", r.seed, "Seed of the initial latents")->capture_default_str();
  add_threads_option(*cmd, o->threads);
  cmd->callback([o, per_step, ttt_steps] {
    model::configure_threads(o->threads);
    const learn::ReconstructOptions& r = o->run;
    if (r.steps < 0) throw InputError("--steps", "must not be negative");
    if (r.views_per_step < 0 && per_step->count() > 0) throw InputError("--views-per-step", "must not be negative");
    if (r.ttt.steps < 0 && ttt_steps->count() > 0) throw InputError("--ttt-steps", "must not be negative");
    if (!(r.ttt.lr > 0)) throw InputError("--ttt-lr", "must be positive");
    if (r.ttt.check_views < 1) throw InputError("--ttt-check-views", "must be at least 1");
    for (int n : o->baseline_steps)
      if (n < 1) throw InputError("--baseline-steps", "every step count must be at least 1");
    if (o->model.empty()) o->model = bundled_model_path();
    learn::LoadedOptimizer m = learn::load_learned_optimizer(o->model);
    io::Dataset ds = io::load_dataset(o->data, o->load);
    if (!o->points.empty()) {
      const io::SplatsOrPoints start = io::read_splats_or_points(o->points);
      ds.points = start.splats ? io::splat_centres(*start.splats) : start.points;
    }
    const learn::ReconstructResult rec = learn::reconstruct(ds, m, r);
    const auto metrics_of = [&](const model::Gaussians& g, std::vector<double>& psnr) {
      nlohmann::json metrics;
      const eval::EvalReport train = eval::evaluate(g, ds, ds.train, {});
      metrics["train"] = nlohmann::json::parse(train.to_json());
      psnr = {train.psnr};
      if (!ds.test.empty()) {
        const eval::EvalReport test = eval::evaluate(g, ds, ds.test, {});
        metrics["test"] = nlohmann::json::parse(test.to_json());
        psnr.push_back(test.psnr);
      }
      return metrics;
    };
    std::vector<double> psnr, unadapted_psnr, initial_psnr;
    const nlohmann::json metrics = metrics_of(rec.gaussians, psnr);
    const nlohmann::json initial_metrics = metrics_of(rec.initial, initial_psnr);
    const learn::TttReport& t = rec.ttt;
    nlohmann::json ttt = {{"ran", t.ran},
                          {"adapted", "decoder (weight and bias), online during the final learned steps"},
                          {"kept", t.kept},
                          {"steps", t.steps},
                          {"stop_reason", t.stop_reason},
                          {"lr", r.ttt.lr},
                          {"losses", t.losses},
                          {"check_views", t.check_views},
                          {"view_renders", t.view_renders},
                          {"time_s", t.time_s}};
    if (t.ran) {
      ttt["check_psnr_unadapted"] = t.check_psnr_unadapted;
      ttt["check_psnr_adapted"] = t.check_psnr_adapted;
    }
    if (rec.unadapted.size() > 0) {
      ttt["unadapted_metrics"] = metrics_of(rec.unadapted, unadapted_psnr);
      ttt["gain_train_psnr"] = psnr[0] - unadapted_psnr[0];
      if (psnr.size() > 1) ttt["gain_test_psnr"] = psnr[1] - unadapted_psnr[1];
    }
    const SplatData splats = model::to_splat_data(rec.gaussians);
    if (!splats.all_finite()) throw InputError(o->out, "the reconstruction holds NaN or infinite values; nothing written");
    nlohmann::json report = {{"iters", rec.steps},      {"time_s", rec.time_s},
                             {"view_renders", rec.view_renders}, {"views_per_step", rec.views_per_step},
                             {"step_scale", rec.step_scale},
                             {"num_gaussians", rec.gaussians.size()}, {"method", "learned optimizer"},
                             {"peak_resident_mib", peak_resident_mib()},
                             {"model", o->model},       {"data", ds.path},
                             {"metrics", metrics},      {"initial_metrics", initial_metrics},      {"test_time_training", ttt},
                             {"history", nlohmann::json::array()}};
    std::printf("reconstructed %lld Gaussians in %d learned steps, %.1f s: train PSNR %.2f dB",
                static_cast<long long>(rec.gaussians.size()), rec.steps, rec.time_s, psnr[0]);
    if (psnr.size() > 1) std::printf(", test PSNR %.2f dB", psnr[1]);
    std::printf("\n");
    if (t.ran)
      std::printf("test-time training: %d steps adapted the decoder, check views %.2f -> %.2f dB, %s\n", t.steps,
                  t.check_psnr_unadapted, t.check_psnr_adapted,
                  t.kept ? "kept" : "not kept (the steps taken again without it)");
    if (o->hybrid_iters > 0) report["hybrid"] = run_hybrid(ds, rec, o->hybrid_iters, r.seed);
    if (o->baselines || !o->baseline_steps.empty())
      report["baselines"] = run_baselines(ds, rec, o->baseline_steps, r.seed, psnr.size() > 1 ? psnr[1] : 0.0);
    std::error_code ec;
    std::filesystem::create_directories(o->out, ec);
    if (!io::is_directory(o->out)) throw InputError(o->out, "cannot create the output folder");
    io::write_splat_ply(io::join_path(o->out, "scene.ply"), splats);
    io::write_file_atomic(io::join_path(o->out, "report.json"), report.dump(2) + "\n");
    std::printf("wrote %s/scene.ply and %s/report.json\n", o->out.c_str(), o->out.c_str());
    write_run_report(o->out);
  });
}

}  // namespace ttgs::app
