// The optimizer, the densification strategy, and short fits on synthetic scenes.
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "eval/evaluate.hpp"
#include "fit/benchmark.hpp"
#include "fit/outputs.hpp"
#include "io/file_util.hpp"
#include "io/ply.hpp"
#include "model/init.hpp"
#include "model/scene_files.hpp"
#include "model/scene_init.hpp"
#include "optim/schedule.hpp"
#include "scene_fixture.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

model::Gaussians tiny(int64_t n) {
  model::Gaussians g;
  g.means = at::zeros({n, 3});
  g.log_scales = at::full({n, 3}, -2.0);
  g.quats = at::zeros({n, 4});
  g.quats.select(1, 0).fill_(1);
  g.opacity_logits = at::zeros({n, 1});
  g.sh_dc = at::zeros({n, 3});
  g.sh_rest = at::zeros({n, 0, 3});
  optim::make_trainable(g);
  return g;
}

// The small synthetic object scene with `views` training views, written into `dir` and loaded.
io::Dataset small_dataset(const test::TempDir& dir, int views) {
  synth::write_synth_dataset(test::small_object_scene(views), dir / "scene");
  return io::load_dataset(dir / "scene", {});
}

TEST(Adam, StepMatchesTheFormulaAndStateFollowsRows) {
  model::Gaussians g = tiny(3);
  optim::Adam adam = optim::gaussian_adam(g, {0.1, 0.1, 0.1, 0.1, 0.1, 0.1});
  g.means.mutable_grad() = at::full({3, 3}, 2.0);
  adam.step(g.tensors());
  // First Adam step moves each parameter by lr · sign(grad) (bias-corrected m / sqrt(v) = 1).
  EXPECT_NEAR(g.means[0][0].item<double>(), -0.1, 1e-6);
  EXPECT_NEAR(g.log_scales[0][0].item<double>(), -2.0, 1e-12);  // no gradient, no move
  adam.append(2);
  adam.select(at::tensor({4, 0}, at::kLong));
  g = g.select(at::tensor({0, 0}, at::kLong));  // two rows, as the state now has
  optim::make_trainable(g);
  g.means.mutable_grad() = at::ones({2, 3});
  EXPECT_NO_THROW(adam.step(g.tensors()));
}

// The fused one-pass update (contiguous CPU tensors) against the tensor formula (taken for non-contiguous inputs),
// over several steps with random gradients, in float and double.
TEST(Adam, FusedUpdateMatchesTheTensorFormula) {
  for (const auto dtype : {at::kFloat, at::kDouble}) {
    at::manual_seed(5);
    const at::Tensor start = at::randn({40000, 3}, dtype);
    at::Tensor p = start.clone(), m = at::zeros_like(p), v = at::zeros_like(p);
    // The reference state lives transposed, so adam_update falls back to the tensor expression.
    at::Tensor pt = start.t().contiguous().t(), mt = at::zeros_like(pt), vt = at::zeros_like(pt);
    ASSERT_FALSE(pt.is_contiguous());
    for (int64_t t = 1; t <= 5; ++t) {
      const at::Tensor g = at::randn({40000, 3}, dtype);
      const at::Tensor lr = at::scalar_tensor(1e-2 * double(t), dtype);
      optim::adam_update(p, g, m, v, lr, t);
      optim::adam_update(pt, g, mt, vt, lr, t);
    }
    const double tol = dtype == at::kFloat ? 1e-6 : 1e-14;
    EXPECT_LT((p - pt).abs().max().item<double>(), tol);
    EXPECT_LT((v - vt).abs().max().item<double>(), tol);
    EXPECT_GT((p - start).abs().max().item<double>(), 0.01);  // it moved
  }
}

TEST(Strategy, ClonesSplitsAndPrunes) {
  model::Gaussians g = tiny(4);
  {
    c10::NoGradGuard ng;
    g.log_scales[1].fill_(0.0);             // large: split, not cloned
    g.opacity_logits[3].fill_(-8.0);        // nearly transparent: pruned
  }
  optim::make_trainable(g);
  optim::Adam adam = optim::gaussian_adam(g, {0.1, 0.1, 0.1, 0.1, 0.1, 0.1});
  optim::DefaultStrategyOptions o;
  o.refine_start = 0;
  o.refine_every = 1;
  auto strategy = optim::make_default_strategy(o);
  render::RenderResult r;
  r.visible = at::ones({4}, at::kBool);
  r.radii = at::full({4}, 5, at::kInt);
  *r.means2d_grad = at::zeros({4, 2});
  (*r.means2d_grad)[0] = at::full({2}, 1.0);  // strong gradient: densified
  (*r.means2d_grad)[1] = at::full({2}, 1.0);
  const optim::StrategyContext ctx{1, 0, 100, 100, 10.0};
  strategy->after_backward(g, r, ctx);
  strategy->after_step(g, adam, ctx);
  // 0 kept and cloned (2), 1 split into 2 new ones and removed, 2 kept, 3 pruned: 2 + 2 + 1 = 5.
  EXPECT_EQ(g.size(), 5);
  EXPECT_TRUE(g.means.requires_grad());
  g.means.mutable_grad() = at::ones_like(g.means);
  EXPECT_NO_THROW(adam.step(g.tensors()));  // optimizer state has the new size
}

// Time to quality counts optimization only: each evaluation's time is taken out of the entries after it.
TEST(TimeToQuality, EvaluationTimeIsNotOptimizationTime) {
  std::vector<fit::HistoryEntry> history(3);
  history[0] = {100, 1.0, 50, 0.1, 20.0, 0.5, 0.4};  // step, time_s, gaussians, loss, psnr, ssim, eval_s
  history[1] = {200, 2.4, 60, 0.1, 26.0, 0.6, 0.4};
  history[2] = {300, 3.8, 70, 0.1, 25.5, 0.6, 0.4};
  const std::vector<fit::QualityPoint> curve = fit::quality_curve(history);
  ASSERT_EQ(curve.size(), 3u);
  EXPECT_DOUBLE_EQ(curve[0].optimization_s, 1.0);
  EXPECT_DOUBLE_EQ(curve[1].optimization_s, 2.0);
  EXPECT_DOUBLE_EQ(curve[2].optimization_s, 3.0);
  EXPECT_DOUBLE_EQ(fit::time_to_psnr(curve, 25.0), 2.0);  // the first evaluation at or above the target
  EXPECT_DOUBLE_EQ(fit::time_to_psnr(curve, 19.0), 1.0);
  EXPECT_LT(fit::time_to_psnr(curve, 27.0), 0);
}

// 200 iterations, evaluated at 100 and 200, SH degree 1.
fit::FitOptions short_fit() {
  fit::FitOptions fo;
  fo.iters = 200;
  fo.eval_every = 100;
  fo.sh_degree = 1;
  return fo;
}

TEST(Fit, ShortFitRaisesTestPsnrAndWritesOutputs) {
  test::TempDir dir;
  const io::Dataset ds = small_dataset(dir, 10);
  const model::Gaussians init = model::init_from_points(*ds.points, {});
  const double before = eval::evaluate(init, ds, ds.test, {}).psnr;
  const fit::FitOptions fo = short_fit();
  const fit::FitResult r = fit::fit(ds, init, fo);
  std::printf("test PSNR %.2f -> %.2f dB after %d iterations (%lld Gaussians)\n", before, r.test.psnr, fo.iters,
              static_cast<long long>(r.gaussians.size()));
  EXPECT_GT(r.test.psnr, before + 3.0);
  EXPECT_EQ(r.history.size(), 2u);
  fit::write_outputs(dir / "out", r, fo, ds);
  const SplatData back = io::read_splat_ply(dir / "out/scene.ply");
  EXPECT_EQ(int64_t(back.count), r.gaussians.size());
  EXPECT_EQ(back.sh_degree, 1);
  const auto report = nlohmann::json::parse(io::read_file(dir / "out/report.json"));
  for (const char* key : {"iters", "time_s", "num_gaussians", "metrics", "history"}) EXPECT_TRUE(report.contains(key)) << key;
  EXPECT_EQ(report["steps"].get<int>(), fo.iters);
  EXPECT_EQ(report["warmup_steps"].get<int>(), 0);  // photos too small for the default warm-up
  EXPECT_GT(report["peak_resident_mib"].get<double>(), 10.0);  // this process, LibTorch loaded
  EXPECT_NEAR(report["metrics"]["test"]["psnr"].get<double>(), r.test.psnr, 1e-9);
  EXPECT_TRUE(report["metrics"]["train"].contains("ssim"));
  EXPECT_TRUE(io::file_exists(dir / "out/cameras.json"));
}

TEST(Fit, ResolutionWarmUpTrainsAsWellAndAPlateauStopsEarly) {
  test::TempDir dir;
  const io::Dataset ds = small_dataset(dir, 10);
  const model::Gaussians init = model::init_from_points(*ds.points, {});
  const double before = eval::evaluate(init, ds, ds.test, {}).psnr;
  fit::FitOptions fo = short_fit();
  const fit::FitResult full = fit::fit(ds, init, fo);
  fo.warmup_steps = 150;  // three quarters of the run on photos and cameras at half size
  const fit::FitResult warm = fit::fit(ds, init, fo);
  std::printf("test PSNR %.2f -> %.2f dB (full size) / %.2f dB (warm-up)\n", before, full.test.psnr, warm.test.psnr);
  EXPECT_GT(warm.test.psnr, before + 3.0);
  EXPECT_NEAR(warm.test.psnr, full.test.psnr, 1.5);
  EXPECT_EQ(full.steps, 200);
  // Densification ends at 80% of 300 steps (240): the evaluations at 260 and 280 are the first pair after it, and
  // any gain is below 100 dB.
  fit::FitOptions stop;
  stop.iters = 300;
  stop.eval_every = 20;
  stop.sh_degree = 0;
  stop.stop_plateau = 100;
  const fit::FitResult early = fit::fit(ds, init, stop);
  EXPECT_EQ(early.steps, 280);
  ASSERT_FALSE(early.history.empty());
  EXPECT_EQ(early.history.back().step, 280);
  EXPECT_EQ(early.history[early.history.size() - 2].step, 260);
  stop.stop_plateau = -1;
  EXPECT_THROW(fit::check_options(stop), InputError);
}

TEST(Fit, ShDegreeRisesEveryQuarterOfTheRunBetween500And1000Steps) {
  EXPECT_EQ(fit::sh_degree_interval(3000), 750);  // degree 3 from step 2251
  EXPECT_EQ(fit::sh_degree_interval(30000), 1000);  // as 3DGS
  EXPECT_EQ(fit::sh_degree_interval(300), 500);  // short runs stay at degree 0
}

TEST(Fit, DefaultWarmUpIsAThirdOfTheRunWhenHalfSizePhotosKeep128Pixels) {
  io::Dataset ds;
  ds.frames.resize(3);
  ds.train = {0, 1, 2};
  for (io::Frame& f : ds.frames) f.camera.width = 512, f.camera.height = 256;
  fit::FitOptions fo;
  fo.iters = 3000;
  EXPECT_EQ(fit::warmup_steps(fo, ds), 1000);
  ds.frames[1].camera.height = 254;  // one photo would be 127 pixels high at half size
  EXPECT_EQ(fit::warmup_steps(fo, ds), 0);
  ds.train = {0, 2};  // test frames do not count
  EXPECT_EQ(fit::warmup_steps(fo, ds), 1000);
  fo.warmup_downscale = 4;
  EXPECT_EQ(fit::warmup_steps(fo, ds), 0);
  fo.warmup_downscale = 2;
  fo.full_batch = true;
  EXPECT_EQ(fit::warmup_steps(fo, ds), 0);
  fo.full_batch = false;
  fo.warmup_steps = 7;  // given: taken as it is
  EXPECT_EQ(fit::warmup_steps(fo, ds), 7);
  fo.warmup_steps = -2;
  EXPECT_THROW(fit::check_options(fo), InputError);
}

TEST(Fit, NanGuardRollsBackAndNothingNonFiniteIsWritten) {
  test::TempDir dir;
  const io::Dataset ds = small_dataset(dir, 6);
  fit::FitOptions fo;
  fo.iters = 60;
  fo.eval_every = 0;
  fo.snapshot_every = 20;
  int injected = 0;
  fo.before_step = [&](int step, model::Gaussians& g) {
    // NaN opacities, twice. The renderer culls such Gaussians (the loss stays finite), so the parameter check at the
    // next snapshot (step 60) catches them: one rollback to step 40.
    if (step == 45 || step == 50) {
      c10::NoGradGuard ng;
      g.opacity_logits.fill_(NAN);
      ++injected;
    }
  };
  const fit::FitResult r = fit::fit(ds, model::init_from_points(*ds.points, {}), fo);
  EXPECT_EQ(injected, 2);
  EXPECT_EQ(r.rollbacks, 1);
  for (const at::Tensor* t : r.gaussians.tensors()) EXPECT_TRUE(t->isfinite().all().item<bool>());
  EXPECT_GT(r.test.psnr, 10.0);
  fit::write_outputs(dir / "out", r, fo, ds);
  // A model that diverges for good ends with an error after max_rollbacks, and nothing is written.
  fo.max_rollbacks = 2;
  fo.iters = 80;  // checks at 40, 60 and 80: the third rollback is one too many
  fo.before_step = [](int step, model::Gaussians& g) {
    if (step > 30) {
      c10::NoGradGuard ng;
      g.opacity_logits.fill_(NAN);
    }
  };
  EXPECT_THROW(fit::fit(ds, model::init_from_points(*ds.points, {}), fo), std::runtime_error);
}

bool bit_identical(const model::Gaussians& a, const model::Gaussians& b) {
  if (a.size() != b.size()) return false;
  const auto ta = a.tensors(), tb = b.tensors();
  for (size_t k = 0; k < ta.size(); ++k)
    if (!at::equal(*ta[k], *tb[k])) return false;
  return true;
}

struct Interrupted {};

// A run interrupted after a checkpoint and resumed ends bit-identical to an uninterrupted run, for both strategies
// (densification, MCMC relocation and noise, random backgrounds all happen on both sides of the checkpoint).
void expect_resume_bit_identical(fit::StrategyKind kind) {
  test::TempDir dir;
  const io::Dataset ds = small_dataset(dir, 6);
  const model::Gaussians init = model::init_from_points(*ds.points, {});
  fit::FitOptions fo;
  fo.iters = 160;
  fo.eval_every = 50;
  fo.sh_degree = 1;
  fo.seed = 7;
  fo.random_background = true;
  fo.strategy_kind = kind;
  fo.strategy.refine_start = fo.mcmc.refine_start = 20;
  fo.strategy.refine_every = fo.mcmc.refine_every = 30;
  fo.strategy.reset_every = 90;
  fo.checkpoint_every = 70;
  fo.checkpoint_path = dir / "a.ckpt";
  const fit::FitResult whole = fit::fit(ds, init, fo);

  fo.checkpoint_path = dir / "b.ckpt";
  fo.before_step = [](int step, model::Gaussians&) {
    if (step == 101) throw Interrupted{};  // killed after the checkpoint at step 70
  };
  EXPECT_THROW(fit::fit(ds, init, fo), Interrupted);
  fo.before_step = nullptr;
  fo.resume = true;
  const fit::FitResult resumed = fit::fit(ds, init, fo);
  EXPECT_TRUE(bit_identical(whole.gaussians, resumed.gaussians));
  EXPECT_NE(whole.gaussians.size(), init.size());  // the strategy did change the model
  ASSERT_EQ(resumed.history.size(), whole.history.size());
  for (size_t i = 0; i < whole.history.size(); ++i) {
    EXPECT_EQ(resumed.history[i].loss, whole.history[i].loss);
    EXPECT_EQ(resumed.history[i].test_psnr, whole.history[i].test_psnr);
  }
  // A checkpoint from a run with other options is refused, naming the file.
  fo.seed = 8;
  try {
    fit::fit(ds, init, fo);
    ADD_FAILURE() << "resumed from a checkpoint of another run";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("b.ckpt"), std::string::npos) << e.what();
  }
}

TEST(Fit, ResumeIsBitIdenticalDefaultStrategy) { expect_resume_bit_identical(fit::StrategyKind::kDefault); }
TEST(Fit, ResumeIsBitIdenticalMcmc) { expect_resume_bit_identical(fit::StrategyKind::kMcmc); }

// A dataset loaded lazily (pixels decoded from the files when a step samples the frame, a budget of two frames'
// photos, decoding ahead on a background thread) trains bit-identically to the same dataset decoded at load, the
// resolution warm-up's downscaled cache included.
TEST(Fit, ALazilyLoadedDatasetTrainsBitIdentically) {
  test::TempDir dir;
  const io::Dataset eager = small_dataset(dir, 6);
  io::LoadOptions lazy_options;
  const Camera& c = eager.frames.front().camera;
  lazy_options.lazy_above_bytes = 2 * int64_t(c.width) * c.height * 3;
  const io::Dataset lazy = io::load_dataset(dir / "scene", lazy_options);
  ASSERT_TRUE(lazy.frames.front().image.empty() && lazy.frames.front().pixel_source);
  const model::Gaussians init = model::init_from_points(*eager.points, {});
  fit::FitOptions fo = short_fit();
  fo.iters = 120;
  fo.eval_every = 60;
  fo.warmup_steps = 40;
  const fit::FitResult a = fit::fit(eager, init, fo), b = fit::fit(lazy, init, fo);
  EXPECT_TRUE(bit_identical(a.gaussians, b.gaussians));
  EXPECT_EQ(a.test.psnr, b.test.psnr);
  EXPECT_EQ(a.train.psnr, b.train.psnr);
}

TEST(Strategy, McmcRelocatesDeadGaussiansAndGrowsToTheCap) {
  at::manual_seed(3);
  model::Gaussians g = tiny(20);
  {
    c10::NoGradGuard ng;
    g.means.copy_(at::arange(60, at::kFloat).reshape({20, 3}));
    g.opacity_logits.fill_(2.0);
    g.opacity_logits.slice(0, 0, 4).fill_(-10.0);  // 4 dead ones
  }
  optim::make_trainable(g);
  optim::Adam adam = optim::gaussian_adam(g, {0.1, 0.1, 0.1, 0.1, 0.1, 0.1});
  optim::McmcStrategyOptions o;
  o.refine_start = 0;
  o.refine_every = 1;
  o.max_gaussians = 21;  // 5% growth of 20
  o.noise_lr = 0;        // no noise: positions are exact copies
  auto strategy = optim::make_mcmc_strategy(o);
  strategy->after_step(g, adam, {1, 0, 100, 100, 10.0});
  ASSERT_EQ(g.size(), 21);
  EXPECT_TRUE(g.means.requires_grad());
  // Every Gaussian now sits on one of the 16 live positions; the copies at one position composite to the original
  // opacity (1 - prod(1 - o_i) = o) and the dead are gone.
  const double o_live = 1 / (1 + std::exp(-2.0));
  const at::Tensor op = g.opacities().squeeze(1).detach();
  EXPECT_GT(op.min().item<double>(), o.min_opacity);
  std::map<int, std::vector<double>> by_position;
  for (int64_t i = 0; i < g.size(); ++i) {
    const int x = int(g.means[i][0].item<float>());
    EXPECT_GE(x, 12) << "a Gaussian at a dead position";
    by_position[x].push_back(op[i].item<double>());
  }
  for (const auto& [x, ops] : by_position) {
    double transmit = 1;
    for (double v : ops) transmit *= 1 - v;
    EXPECT_NEAR(1 - transmit, o_live, 1e-5) << "position " << x << " with " << ops.size() << " copies";
  }
  EXPECT_EQ(by_position.size(), 16u);
  // The regularizer is the L1 of opacities and scales, weighted.
  const double reg = strategy->regularizer(g).item<double>();
  EXPECT_NEAR(reg, o.opacity_reg * op.mean().item<double>() + o.scale_reg * g.scales().mean().item<double>(), 1e-6);
  g.means.mutable_grad() = at::ones_like(g.means);
  EXPECT_NO_THROW(adam.step(g.tensors()));  // optimizer state has the new size
}

TEST(Fit, FullBatchAndMcmcShortFitsRaiseTestPsnr) {
  test::TempDir dir;
  const io::Dataset ds = small_dataset(dir, 8);
  const model::Gaussians init = model::init_from_points(*ds.points, {});
  const double before = eval::evaluate(init, ds, ds.test, {}).psnr;
  fit::FitOptions full;
  full.iters = 40;  // 40 steps x 8 views
  full.eval_every = 0;
  full.sh_degree = 0;
  full.full_batch = true;
  const fit::FitResult f = fit::fit(ds, init, full);
  fit::FitOptions mcmc;
  mcmc.iters = 300;
  mcmc.eval_every = 0;
  mcmc.sh_degree = 0;
  mcmc.strategy_kind = fit::StrategyKind::kMcmc;
  mcmc.mcmc.refine_start = 100;
  mcmc.mcmc.max_gaussians = init.size() + 500;
  const fit::FitResult m = fit::fit(ds, init, mcmc);
  std::printf("test PSNR %.2f dB -> full batch (40 steps) %.2f dB, MCMC (300 steps) %.2f dB with %lld Gaussians\n",
              before, f.test.psnr, m.test.psnr, static_cast<long long>(m.gaussians.size()));
  EXPECT_GT(f.test.psnr, before + 3.0);
  EXPECT_EQ(f.gaussians.size(), init.size()) << "the full-batch baseline does not densify";
  EXPECT_GT(m.test.psnr, before + 3.0);
  // As many plain steps as a tenth of the full-batch steps do worse (the G3R baseline's comparison).
  fit::FitOptions plain = full;
  plain.full_batch = false;
  plain.iters = full.iters / 10;
  EXPECT_GT(f.test.psnr, fit::fit(ds, init, plain).test.psnr);
  // Rates 300x too high: the full-batch loss rises, the guard rolls back to the lowest-loss state and halves them;
  // the result is never worse than the start on the views it fits.
  fit::FitOptions wild = full;
  for (double* lr : {&wild.lr.means, &wild.lr.log_scales, &wild.lr.opacity, &wild.lr.sh_dc}) *lr *= 300;
  wild.max_rollbacks = 20;
  const fit::FitResult w = fit::fit(ds, init, wild);
  std::printf("full batch at 300x the rates: %d rollbacks, test PSNR %.2f dB\n", w.rollbacks, w.test.psnr);
  EXPECT_GT(w.rollbacks, 0);
  EXPECT_GE(w.train.psnr, eval::evaluate(init, ds, ds.train, {}).psnr - 0.01);
  EXPECT_LE(m.gaussians.size(), init.size() + 500);
  EXPECT_GT(m.gaussians.size(), init.size());
}

// A 4D fit of a small street clip (2 cameras, LiDAR, moving cars): resumable bit-identically like a static fit, its
// scene folder reads back to the same scores, and the actors' Gaussians stay in their boxes' frames.
TEST(Fit, SceneModelFitResumesAndItsFolderReadsBackToTheSameScores) {
  test::TempDir dir;
  synth::write_synth_dataset(test::small_street_scene(5, 2, 80, 56, 2), dir / "street");
  const io::Dataset ds = io::load_dataset(dir / "street", {});
  ASSERT_FALSE(ds.actors.empty());
  model::SceneInitOptions si;
  si.base.sh_degree = 1;
  si.max_static_points = 4000;
  const model::SceneModel init = model::init_scene(ds, model::init_from_points(*ds.points, si.base), si);
  ASSERT_TRUE(init.dynamic());
  fit::FitOptions fo;
  fo.iters = 120;
  fo.eval_every = 0;
  fo.sh_degree = 1;
  fo.strategy.refine_start = 20;
  fo.strategy.refine_every = 30;
  fo.checkpoint_every = 50;
  fo.checkpoint_path = dir / "a.ckpt";
  const fit::FitResult whole = fit::fit(ds, init, fo);
  fo.checkpoint_path = dir / "b.ckpt";
  fo.before_step = [](int step, model::Gaussians&) {
    if (step == 80) throw Interrupted{};
  };
  EXPECT_THROW(fit::fit(ds, init, fo), Interrupted);
  fo.before_step = nullptr;
  fo.resume = true;
  const fit::FitResult resumed = fit::fit(ds, init, fo);
  EXPECT_TRUE(bit_identical(whole.gaussians, resumed.gaussians));
  EXPECT_TRUE(whole.scene.gaussians.part.equal(resumed.scene.gaussians.part));
  EXPECT_TRUE(whole.scene.appearance.equal(resumed.scene.appearance));
  EXPECT_TRUE(whole.scene.environment.logits.equal(resumed.scene.environment.logits));
  EXPECT_FALSE(whole.scene.appearance.equal(init.appearance));  // trained
  fit::write_outputs(dir / "out", whole, fo, ds);
  const model::SceneModel back = model::scene_for_dataset(model::read_scene_folder(dir / "out"), ds);
  const eval::EvalReport again = eval::evaluate(back, ds, ds.test, {});
  EXPECT_NEAR(again.psnr, whole.test.psnr, 1e-4);
  EXPECT_TRUE(whole.test.has_actors);
  EXPECT_TRUE(std::isfinite(whole.test.dynamic_psnr));
  // Actor Gaussians near their box (box frame): within the box's half diagonal plus a margin.
  const at::Tensor parts = whole.scene.gaussians.parts();
  const at::Tensor local = whole.scene.gaussians.means.index_select(0, (parts >= 0).nonzero().squeeze(1));
  ASSERT_GT(local.size(0), 0);
  EXPECT_LT(local.norm(2, {1}).median().item<double>(), 3.0);
}

}  // namespace
}  // namespace ttgs
