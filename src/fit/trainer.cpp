#include "fit/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <sstream>
#include <stdexcept>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "fit/checkpoint.hpp"
#include "loss/photometric.hpp"
#include "model/tensor_image.hpp"
#include "render/rasterizer.hpp"

namespace ttgs::fit {
namespace {

// The Gaussians with exactly `degree` SH bands (higher coefficients added as zeros or dropped).
model::Gaussians with_sh_degree(model::Gaussians g, int degree) {
  const int64_t want = sh_rest_count(degree), have = g.sh_rest.size(1);
  if (want > have) g.sh_rest = at::cat({g.sh_rest, at::zeros({g.size(), want - have, 3}, g.sh_rest.options())}, 1);
  else if (want < have) g.sh_rest = g.sh_rest.slice(1, 0, want).contiguous();
  return g;
}

bool all_finite(const model::Gaussians& g) {
  at::NoGradGuard no_grad;
  for (const at::Tensor* t : g.tensors())
    if (!t->isfinite().all().item<bool>()) return false;
  return true;
}

// The strategy, its schedule divided by the views rendered per step.
std::unique_ptr<optim::IStrategy> make_strategy(const FitOptions& o, int views_per_step) {
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

}  // namespace

void check_options(const FitOptions& o) {
  if (o.iters < 1) throw InputError("--iters", "must be at least 1");
  if (o.sh_degree < 0 || o.sh_degree > 3) throw InputError("--sh-degree", "must be 0..3");
  if (o.checkpoint_every < 0) throw InputError("--checkpoint-every", "must not be negative");
  if (o.eval_every < 0) throw InputError("--eval-every", "must not be negative");
}

FitResult fit(const io::Dataset& ds, model::Gaussians g, const FitOptions& o) {
  check_options(o);
  if (ds.train.empty()) throw InputError(ds.path, "no training frames");
  if (g.size() == 0) throw InputError(ds.path, "the initial model has no Gaussians");
  const auto t0 = std::chrono::steady_clock::now();
  at::manual_seed(int64_t(o.seed));
  std::mt19937_64 rng(o.seed);
  const double extent = io::scene_extent(ds);
  const int views_per_step = o.full_batch ? int(ds.train.size()) : 1;
  g = with_sh_degree(g.clone(), o.sh_degree);  // the caller's tensors are never updated in place
  optim::make_trainable(g);
  const optim::LearningRates& lr = o.lr;
  const std::array<double, 6> base_lr = {lr.means * extent, lr.log_scales, lr.quats, lr.opacity, lr.sh_dc, lr.sh_rest};
  optim::GaussianAdam adam(g, base_lr);
  const auto strategy = make_strategy(o, views_per_step);

  LoopState state;
  const bool checkpoints = !o.checkpoint_path.empty() && o.checkpoint_every > 0;
  if (o.resume && checkpoints && std::filesystem::exists(o.checkpoint_path)) {
    Checkpoint c = load_checkpoint(o.checkpoint_path, o, adam, *strategy);
    g = c.g;
    optim::make_trainable(g);
    std::istringstream(c.rng) >> rng;
    state = c.state;
    note("resuming from " + o.checkpoint_path + " at step " + std::to_string(state.step));
  } else if (o.resume) {
    note("no checkpoint at " + (o.checkpoint_path.empty() ? std::string("(none)") : o.checkpoint_path) +
         ": starting from the beginning");
  }
  const auto elapsed = [&] {
    return state.elapsed_s + std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };

  std::vector<at::Tensor> photos(ds.frames.size()), masks(ds.frames.size());
  for (size_t i : ds.train) {
    photos[i] = model::to_tensor(ds.frames[i].image);
    if (ds.frames[i].mask) masks[i] = model::to_tensor(*ds.frames[i].mask);
  }
  const at::Tensor fixed_bg = at::tensor(std::vector<float>(o.background.begin(), o.background.end()));

  FitResult result;
  const auto record = [&](int step) {
    HistoryEntry h;
    h.step = step;
    h.time_s = elapsed();
    h.num_gaussians = g.size();
    h.loss = state.loss_count ? state.loss_sum / state.loss_count : 0.0;
    h.test_psnr = h.test_ssim = std::numeric_limits<double>::quiet_NaN();
    if (!ds.test.empty()) {
      const eval::EvalReport r = eval::evaluate(g, ds, ds.test, {});
      h.test_psnr = r.psnr;
      h.test_ssim = r.ssim;
    }
    h.eval_s = elapsed() - h.time_s;
    state.history.push_back(h);
    state.loss_sum = 0;
    state.loss_count = 0;
  };

  // The last good state, for the divergence guard.
  struct Snapshot {
    model::Gaussians g;
    optim::GaussianAdam adam;
    int step;
  };
  Snapshot good{g.clone(), adam.clone(), state.step};
  const auto roll_back = [&](int step, const std::string& what) {
    if (++state.rollbacks > o.max_rollbacks)
      throw std::runtime_error(what + " at step " + std::to_string(step) + ", still after " +
                               std::to_string(o.max_rollbacks) + " rollbacks; nothing written");
    g = good.g.clone();
    optim::make_trainable(g);
    adam = good.adam.clone();
    state.lr_scale *= 0.5;  // applied to every rate from the next step on
    warn(what + " at step " + std::to_string(step) + ": rolled back to step " + std::to_string(good.step) +
         " and halved the learning rates");
  };
  const auto set_learning_rates = [&](int step) {
    if (o.full_batch) {
      double decay = 1;
      for (double at : o.full_batch_decay_at)
        if (step > at * o.iters) decay *= o.full_batch_decay;
      for (size_t k = 0; k < base_lr.size(); ++k) adam.set_lr(k, state.lr_scale * decay * base_lr[k]);
      return;
    }
    for (size_t k = 0; k < base_lr.size(); ++k) adam.set_lr(k, state.lr_scale * base_lr[k]);
    adam.set_lr(optim::kMeans, state.lr_scale * optim::exponential_decay(lr.means * extent, lr.means_final * extent,
                                                                         step, o.iters));
  };
  // Renders view i, adds its loss's gradient to the parameters' and lets the strategy see its screen-space
  // gradient; returns the loss (not finite: nothing accumulated).
  const auto accumulate_view = [&](size_t i, int step) {
    const io::Frame& f = ds.frames[i];
    render::RenderSettings s;
    s.config.sh_degree = std::min(o.sh_degree, (step - 1) / 1000);
    s.background = o.random_background ? at::rand({3}) : fixed_bg;
    const render::RenderResult r = render::render(g, f.camera, s);
    at::Tensor loss = loss::masked_photometric(r.rgb, photos[i], masks[i], o.ssim_lambda);
    const at::Tensor reg = strategy->regularizer(g);
    if (reg.defined()) loss = loss + reg;
    const double value = loss.item<double>();
    if (!std::isfinite(value)) return value;
    loss.backward();
    strategy->after_backward(g, r, {step * views_per_step, o.iters * views_per_step, f.camera.width,
                                    f.camera.height, extent});
    return value;
  };

  Progress progress("fitting", o.iters);
  for (int i = 0; i < state.step; ++i) progress.advance();
  for (int step = state.step + 1; step <= o.iters; ++step) {
    if (o.before_step) o.before_step(step, g);
    set_learning_rates(step);
    std::vector<size_t> views;
    if (o.full_batch) {
      views = ds.train;
    } else {
      if (state.order.empty()) {  // a fresh random order of the training views
        std::vector<size_t> order = ds.train;
        std::shuffle(order.begin(), order.end(), rng);
        state.order.assign(order.begin(), order.end());
      }
      views = {size_t(state.order.back())};
      state.order.pop_back();
    }
    double step_loss = 0;
    for (size_t i : views) step_loss += accumulate_view(i, step);
    if (!std::isfinite(step_loss)) {
      for (at::Tensor* t : g.tensors()) t->mutable_grad() = at::Tensor();
      roll_back(step, "the loss became " + std::to_string(step_loss));
      state.step = step;
      progress.advance();
      continue;
    }
    state.loss_sum += step_loss / double(views.size());
    ++state.loss_count;
    adam.step(g);
    for (at::Tensor* t : g.tensors()) t->mutable_grad() = at::Tensor();
    const io::Frame& last = ds.frames[views.back()];
    strategy->after_step(g, adam, {step, o.iters, last.camera.width, last.camera.height, extent});
    state.step = step;
    const bool checkpoint_now = checkpoints && step % o.checkpoint_every == 0 && step < o.iters;
    if ((o.snapshot_every > 0 && step % o.snapshot_every == 0) || checkpoint_now) {
      // A NaN in a Gaussian that no view sees leaves the loss finite: check the parameters themselves.
      if (all_finite(g)) good = Snapshot{g.clone(), adam.clone(), step};
      else roll_back(step, "a parameter became NaN or infinite");
    }
    if (o.eval_every > 0 && step % o.eval_every == 0 && step < o.iters) record(step);
    if (checkpoint_now) {
      std::ostringstream rng_text;
      rng_text << rng;
      LoopState saved = state;
      saved.elapsed_s = elapsed();
      save_checkpoint(o.checkpoint_path, o, good.g, good.adam, *strategy, rng_text.str(), saved);
    }
    progress.advance();
  }
  progress.finish();
  if (!all_finite(g)) roll_back(o.iters, "a parameter became NaN or infinite");
  record(o.iters);
  for (at::Tensor* t : g.tensors()) *t = t->detach();
  result.history = state.history;
  result.rollbacks = state.rollbacks;
  result.train = eval::evaluate(g, ds, ds.train, {}, ds.test.empty() ? o.lpips.get() : nullptr);
  if (!ds.test.empty()) result.test = eval::evaluate(g, ds, ds.test, {}, o.lpips.get());
  result.gaussians = g;
  result.time_s = elapsed();
  return result;
}

}  // namespace ttgs::fit
