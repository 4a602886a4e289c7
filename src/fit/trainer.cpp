#include "fit/trainer.hpp"

#include <c10/core/GradMode.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "fit/checkpoint.hpp"
#include "loss/photometric.hpp"
#include "optim/schedule.hpp"
#include "render/rasterizer.hpp"
#include "render/scene_view.hpp"
#include "train/divergence_guard.hpp"
#include "train/view_cache.hpp"
#include "train/view_sampler.hpp"

namespace ttgs::fit {
namespace {

// The Gaussians with exactly `degree` SH bands (higher coefficients added as zeros or dropped).
model::Gaussians with_sh_degree(model::Gaussians g, int degree) {
  const int64_t want = sh_rest_count(degree), have = g.sh_rest.size(1);
  if (want > have) g.sh_rest = at::cat({g.sh_rest, at::zeros({g.size(), want - have, 3}, g.sh_rest.options())}, 1);
  else if (want < have) g.sh_rest = g.sh_rest.slice(1, 0, want).contiguous();
  return g;
}


// The strategy, its schedule divided by the views rendered per step.
std::unique_ptr<optim::IStrategy> make_strategy(const FitOptions& o, int views_per_step) {
  if (o.full_batch) return optim::make_fixed_strategy();
  const auto per_step = [&](int steps) { return std::max(1, steps / views_per_step); };
  if (o.strategy_kind == StrategyKind::kMcmc) {
    optim::McmcStrategyOptions m = o.mcmc;
    m.refine_start = per_step(m.refine_start);
    m.refine_stop = per_step(m.refine_stop);
    m.refine_every = per_step(m.refine_every);
    return optim::make_mcmc_strategy(m);
  }
  optim::DefaultStrategyOptions d = o.strategy;
  d.refine_start = per_step(d.refine_start);
  d.refine_stop = per_step(d.refine_stop);
  d.refine_every = per_step(d.refine_every);
  d.reset_every = per_step(d.reset_every);
  return optim::make_default_strategy(d);
}

// One fit run, in small parts: set-up (and resume), one step at a time, history, checkpoints, final evaluation.
// The view cache, sampler, Adam, schedule and divergence guard are the shared training core's.
class FitLoop {
 public:
  FitLoop(const io::Dataset& ds, model::SceneModel init, const FitOptions& o)
      : ds_(ds), o_(o), t0_(std::chrono::steady_clock::now()), extent_(io::scene_extent(ds)),
        views_per_step_(o.full_batch ? int(ds.train.size()) : 1), scene_(own_copy(std::move(init), o.sh_degree)),
        g_(scene_.gaussians), base_lr_(optim::gaussian_rates(o.lr, extent_)),
        adam_(optim::gaussian_adam(g_, base_lr_)), strategy_(make_strategy(o, views_per_step_)),
        sampler_(ds.train, o.seed), cache_(ds, ds.train, 1, model::uses_masks(ds, scene_)),
        warmup_cache_(o.warmup_steps > 0 && o.warmup_downscale > 1
                          ? train::ViewCache(ds, ds.train, o.warmup_downscale, model::uses_masks(ds, scene_))
                          : train::ViewCache()),
        fixed_bg_(at::tensor(std::vector<float>(o.background.begin(), o.background.end()))) {
    at::manual_seed(int64_t(o.seed));
    optim::make_trainable(g_);
    if (scene_.environment.defined()) adam_.add_group("environment", scene_.environment.logits, o.lr_environment, false);
    if (scene_.appearance.defined()) adam_.add_group("appearance", scene_.appearance, o.lr_appearance, false);
    if (o.full_batch) schedule_ = {1.0, o.full_batch_decay_at, o.full_batch_decay};
    means_schedule_ = o.full_batch ? schedule_ : optim::Schedule{o.lr.means > 0 ? o.lr.means_final / o.lr.means : 1.0, {}, 1.0};
    resume();
  }

  FitResult run() {
    Progress progress("fitting", o_.iters);
    for (int i = 0; i < state_.step; ++i) progress.advance();
    for (int step = state_.step + 1; step <= o_.iters && !plateaued(); ++step) {
      if (o_.before_step) o_.before_step(step, g_);
      take_step(step);
      progress.advance();
    }
    progress.finish();
    return finish();
  }

 private:
  // The caller's tensors are never updated in place: a deep copy, with the SH degree of the run.
  static model::SceneModel own_copy(model::SceneModel s, int sh_degree) {
    s.gaussians = with_sh_degree(s.gaussians.clone(), sh_degree);
    if (s.environment.defined()) s.environment.logits = s.environment.logits.detach().clone().requires_grad_(true);
    if (s.appearance.defined()) s.appearance = s.appearance.detach().clone().requires_grad_(true);
    return s;
  }

  // What Adam updates, in its group order: the six attributes, then the environment map and the appearance.
  std::vector<at::Tensor*> params() {
    std::vector<at::Tensor*> p = g_.tensors();
    if (scene_.environment.defined()) p.push_back(&scene_.environment.logits);
    if (scene_.appearance.defined()) p.push_back(&scene_.appearance);
    return p;
  }
  // What the divergence guard restores: the parameters and the Gaussians' part labels (rows change together).
  std::vector<at::Tensor*> guarded() {
    std::vector<at::Tensor*> p = params();
    if (g_.part.defined()) p.push_back(&g_.part);
    return p;
  }
  // The scene as the guard kept it.
  model::SceneModel kept_scene() const {
    const std::vector<at::Tensor>& t = guard_->kept();
    model::SceneModel s = scene_;
    s.gaussians = {t.at(0), t.at(1), t.at(2), t.at(3), t.at(4), t.at(5), {}};
    size_t k = 6;
    if (s.environment.defined()) s.environment.logits = t.at(k++);
    if (s.appearance.defined()) s.appearance = t.at(k++);
    if (g_.part.defined()) s.gaussians.part = t.at(k++);
    return s;
  }

  bool checkpoints() const { return !o_.checkpoint_path.empty() && o_.checkpoint_every > 0; }
  double elapsed() const {
    return state_.elapsed_s + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  }

  // Full batch: snapshots of the lowest-loss state instead of every N steps (see loss_rose).
  train::GuardOptions guard_options() const {
    return {o_.full_batch ? 0 : o_.snapshot_every, o_.max_rollbacks};
  }

  void resume() {
    guard_.emplace(guard_options(), guarded(), adam_, 0);
    if (o_.resume && checkpoints() && std::filesystem::exists(o_.checkpoint_path)) {
      Checkpoint c = load_checkpoint(o_.checkpoint_path, o_, adam_, *strategy_, scene_);
      optim::make_trainable(g_);
      sampler_.restore(c.rng, c.state.order);
      state_ = c.state;
      guard_.emplace(guard_options(), guarded(), adam_, state_.step);
      guard_->restore_counters(state_.rollbacks, state_.lr_scale);
      note("resuming from " + o_.checkpoint_path + " at step " + std::to_string(state_.step));
    } else if (o_.resume) {
      note("no checkpoint at " + (o_.checkpoint_path.empty() ? std::string("(none)") : o_.checkpoint_path) +
           ": starting from the beginning");
    }
  }

  void set_learning_rates(int step) {
    const double scale = guard_->lr_scale();
    for (size_t k = 0; k < base_lr_.size(); ++k) adam_.set_lr(k, scale * schedule_.factor(step, o_.iters) * base_lr_[k]);
    adam_.set_lr(optim::kMeans, scale * means_schedule_.factor(step, o_.iters) * base_lr_[optim::kMeans]);
  }

  // The photos step `step` trains on: downscaled during the resolution warm-up, else full size.
  const train::ViewCache& views_at(int step) const {
    return step <= o_.warmup_steps && warmup_cache_.factor() > 1 ? warmup_cache_ : cache_;
  }

  // The loss of view i as step `step` renders it (SH degree, background and resolution of that step, the
  // strategy's regularizer added), with the render.
  std::pair<at::Tensor, render::RenderResult> view_loss(size_t i, int step) {
    render::RenderSettings s;
    s.config.sh_degree = std::min(o_.sh_degree, (step - 1) / sh_degree_interval(o_.iters));
    s.background = o_.random_background ? at::rand({3}) : fixed_bg_;
    const train::ViewCache& views = views_at(step);
    render::RenderResult r = render::render_view(scene_, ds_, i, views.camera(i), s);
    at::Tensor loss = loss::masked_photometric(r.rgb, views.photo(i), views.mask(i), o_.ssim_lambda);
    const at::Tensor reg = strategy_->regularizer(g_);
    if (reg.defined()) loss = loss + reg;
    return {loss, std::move(r)};
  }

  // Renders view i, adds its loss's gradient to the parameters' and lets the strategy see its screen-space
  // gradient; returns the loss (not finite: nothing accumulated).
  double accumulate_view(size_t i, int step) {
    const Camera& camera = views_at(step).camera(i);
    const auto [loss, r] = view_loss(i, step);
    const double value = loss.item<double>();
    if (!std::isfinite(value)) return value;
    loss.backward();
    strategy_->after_backward(g_, r, {step * views_per_step_, o_.iters * views_per_step_, camera.width,
                                      camera.height, extent_});
    return value;
  }

  void clear_gradients() {
    for (at::Tensor* t : params()) t->mutable_grad() = at::Tensor();
  }

  void take_step(int step) {
    set_learning_rates(step);
    const std::vector<size_t> views = o_.full_batch ? ds_.train : std::vector<size_t>{sampler_.next()};
    if (const std::optional<size_t> upcoming = sampler_.upcoming(); upcoming && !o_.full_batch)
      views_at(step + 1).prefetch(*upcoming);  // a lazily loaded dataset decodes it while this step runs
    double step_loss = 0;
    for (size_t i : views) step_loss += accumulate_view(i, step);
    state_.step = step;
    if (!std::isfinite(step_loss)) {
      clear_gradients();
      guard_->roll_back(step, "the loss became " + std::to_string(step_loss), guarded(), adam_);
      return;
    }
    if (loss_rose(step, step_loss / double(views.size()))) return;
    state_.loss_sum += step_loss / double(views.size());
    ++state_.loss_count;
    adam_.step(params());
    clear_gradients();
    const Camera& last = views_at(step).camera(views.back());
    strategy_->after_step(g_, adam_, {step, o_.iters, last.width, last.height, extent_});
    const bool checkpoint_now = checkpoints() && step % o_.checkpoint_every == 0 && step < o_.iters;
    guard_->check(step, guarded(), adam_, checkpoint_now);
    if (o_.eval_every > 0 && step % o_.eval_every == 0 && step < o_.iters) record(step);
    if (checkpoint_now) write_checkpoint();
  }

  // Full batch: the loss of all views is deterministic, so a rise well above its lowest value is an overshoot (Adam
  // with every view agreeing takes full-size steps): back to the state of the lowest loss, rates halved, as for a
  // non-finite loss. That state (before this step's update) is the guard's snapshot in this mode.
  bool loss_rose(int step, double loss) {
    if (!o_.full_batch) return false;
    if (loss > (1 + o_.full_batch_rise) * lowest_loss_) {
      clear_gradients();
      guard_->roll_back(step, "the full-batch loss rose from " + std::to_string(lowest_loss_) + " to " +
                                  std::to_string(loss), guarded(), adam_);
      return true;
    }
    if (loss < lowest_loss_) {
      lowest_loss_ = loss;
      guard_->keep_now(step - 1, guarded(), adam_);
    }
    return false;
  }

  // Full batch: the last update is checked too (one more pass over the views, no gradients, the same loss).
  void check_last_update() {
    if (!o_.full_batch) return;
    double loss = 0;
    {
      c10::NoGradGuard no_grad;
      for (size_t i : ds_.train) loss += view_loss(i, o_.iters).first.item<double>();
    }
    loss /= double(ds_.train.size());
    if (!(loss <= (1 + o_.full_batch_rise) * lowest_loss_))
      guard_->roll_back(o_.iters, "the full-batch loss after the last step rose from " +
                                      std::to_string(lowest_loss_) + " to " + std::to_string(loss), guarded(), adam_);
  }

  void record(int step) {
    HistoryEntry h;
    h.step = step;
    h.time_s = elapsed();
    h.num_gaussians = g_.size();
    h.loss = state_.loss_count ? state_.loss_sum / state_.loss_count : 0.0;
    h.test_psnr = h.test_ssim = std::numeric_limits<double>::quiet_NaN();
    if (!ds_.test.empty()) {
      const eval::EvalReport r = eval::evaluate(scene_, ds_, ds_.test, {});
      h.test_psnr = r.psnr;
      h.test_ssim = r.ssim;
    }
    h.eval_s = elapsed() - h.time_s;
    state_.history.push_back(h);
    state_.loss_sum = 0;
    state_.loss_count = 0;
  }

  // Whether the last two test evaluations, both after the strategy stopped refining, differ by less than
  // stop_plateau dB.
  bool plateaued() const {
    const std::vector<HistoryEntry>& h = state_.history;
    if (o_.stop_plateau <= 0 || h.size() < 2 || o_.full_batch) return false;
    const HistoryEntry &last = h.back(), &before = h[h.size() - 2];
    return before.step > strategy_->refine_end(o_.iters) && std::isfinite(last.test_psnr) &&
           std::isfinite(before.test_psnr) && last.test_psnr - before.test_psnr < o_.stop_plateau;
  }

  // The last good state (the guard's snapshot, taken at this step) with the loop's counters.
  void write_checkpoint() {
    LoopState saved = state_;
    saved.order = sampler_.remaining();
    saved.lr_scale = guard_->lr_scale();
    saved.rollbacks = guard_->rollbacks();
    saved.elapsed_s = elapsed();
    save_checkpoint(o_.checkpoint_path, o_, kept_scene(), guard_->kept_optimizer(), *strategy_,
                    sampler_.generator_state(), saved);
  }

  FitResult finish() {
    check_last_update();
    guard_->check(state_.step, guarded(), adam_, true);
    if (state_.history.empty() || state_.history.back().step != state_.step) record(state_.step);
    if (state_.step < o_.iters) {
      char why[160];
      std::snprintf(why, sizeof why, "stopped at step %d of %d: the test PSNR gained less than %g dB", state_.step,
                    o_.iters, o_.stop_plateau);
      note(why);
    }
    for (at::Tensor* t : params()) *t = t->detach();
    FitResult result;
    result.history = state_.history;
    result.rollbacks = guard_->rollbacks();
    result.steps = state_.step;
    if (o_.score_training_views)
      result.train = eval::evaluate(scene_, ds_, ds_.train, {}, ds_.test.empty() ? o_.lpips.get() : nullptr);
    if (!ds_.test.empty()) result.test = eval::evaluate(scene_, ds_, ds_.test, {}, o_.lpips.get());
    result.gaussians = g_;
    result.scene = scene_;
    result.time_s = elapsed();
    return result;
  }

  const io::Dataset& ds_;
  const FitOptions& o_;
  const std::chrono::steady_clock::time_point t0_;
  const double extent_;
  const int views_per_step_;
  model::SceneModel scene_;
  model::Gaussians& g_;  // scene_.gaussians
  const std::array<double, 6> base_lr_;
  optim::Adam adam_;
  std::unique_ptr<optim::IStrategy> strategy_;
  train::ViewSampler sampler_;
  const train::ViewCache cache_;
  const train::ViewCache warmup_cache_;  // empty without a resolution warm-up
  const at::Tensor fixed_bg_;
  optim::Schedule schedule_, means_schedule_;  // all rates; positions (stochastic mode: exponential decay)
  std::optional<train::DivergenceGuard> guard_;
  LoopState state_;
  double lowest_loss_ = std::numeric_limits<double>::infinity();
};

}  // namespace

void check_options(const FitOptions& o) {
  if (o.iters < 1) throw InputError("--iters", "must be at least 1");
  if (o.sh_degree < 0 || o.sh_degree > 3) throw InputError("--sh-degree", "must be 0..3");
  if (o.checkpoint_every < 0) throw InputError("--checkpoint-every", "must not be negative");
  if (o.eval_every < 0) throw InputError("--eval-every", "must not be negative");
  if (o.warmup_steps < 0 && o.warmup_steps != FitOptions::kAutoWarmup)
    throw InputError("--warmup-steps", "must not be negative");
  if (o.warmup_downscale < 1) throw InputError("--warmup-downscale", "must be at least 1");
  if (!(o.stop_plateau >= 0)) throw InputError("--stop-plateau", "must not be negative");
}

int sh_degree_interval(int iters) { return std::clamp(iters / 4, 500, 1000); }

int warmup_steps(const FitOptions& o, const io::Dataset& ds) {
  if (o.warmup_steps != FitOptions::kAutoWarmup) return o.warmup_steps;
  if (o.full_batch || o.warmup_downscale < 2 || ds.train.empty()) return 0;
  for (size_t i : ds.train) {
    const Camera& c = ds.frames[i].camera;
    if (std::min(c.width, c.height) / o.warmup_downscale < FitOptions::kMinWarmupSide) return 0;
  }
  return o.iters / 3;
}

FitResult fit(const io::Dataset& ds, model::Gaussians init, const FitOptions& o) {
  return fit(ds, model::static_scene(init), o);
}

FitResult fit(const io::Dataset& ds, model::SceneModel init, const FitOptions& o) {
  check_options(o);
  if (ds.train.empty()) throw InputError(ds.path, "no training frames");
  if (init.gaussians.size() == 0) throw InputError(ds.path, "the initial model has no Gaussians");
  FitOptions resolved = o;
  resolved.warmup_steps = warmup_steps(o, ds);
  return FitLoop(ds, std::move(init), resolved).run();
}

}  // namespace ttgs::fit
