#include "fit/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
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

}  // namespace

double scene_extent(const io::Dataset& ds) {
  Vec3 mean{0, 0, 0};
  for (const io::Frame& f : ds.frames) mean = mean + (1.0 / double(ds.frames.size())) * f.camera.center();
  double radius = 0;
  for (const io::Frame& f : ds.frames) radius = std::max(radius, norm(f.camera.center() - mean));
  return std::max(radius, 1e-3) * 1.1;
}

FitResult fit(const io::Dataset& ds, model::Gaussians g, const FitOptions& o) {
  if (o.iters < 1) throw InputError("--iters", "must be at least 1");
  if (o.sh_degree < 0 || o.sh_degree > 3) throw InputError("--sh-degree", "must be 0..3");
  if (ds.train.empty()) throw InputError(ds.path, "no training frames");
  if (g.size() == 0) throw InputError(ds.path, "the initial model has no Gaussians");
  const auto t0 = std::chrono::steady_clock::now();
  const auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  at::manual_seed(int64_t(o.seed));
  std::mt19937_64 rng(o.seed);
  const double extent = scene_extent(ds);
  g = with_sh_degree(g, o.sh_degree);
  optim::make_trainable(g);
  const optim::LearningRates& lr = o.lr;
  const std::array<double, 6> base_lr = {lr.means * extent, lr.log_scales, lr.quats, lr.opacity, lr.sh_dc, lr.sh_rest};
  optim::GaussianAdam adam(g, base_lr);
  const auto strategy = optim::make_default_strategy(o.strategy);

  std::vector<at::Tensor> photos(ds.frames.size()), masks(ds.frames.size());
  for (size_t i : ds.train) {
    photos[i] = model::to_tensor(ds.frames[i].image);
    if (ds.frames[i].mask) masks[i] = model::to_tensor(*ds.frames[i].mask);
  }
  const at::Tensor fixed_bg = at::tensor(std::vector<float>(o.background.begin(), o.background.end()));

  FitResult result;
  std::vector<size_t> order;
  double loss_sum = 0;
  int loss_count = 0;
  const auto record = [&](int step) {
    HistoryEntry h;
    h.step = step;
    h.time_s = elapsed();
    h.num_gaussians = g.size();
    h.loss = loss_count ? loss_sum / loss_count : 0.0;
    h.test_psnr = h.test_ssim = std::numeric_limits<double>::quiet_NaN();
    if (!ds.test.empty()) {
      const eval::EvalReport r = eval::evaluate(g, ds, ds.test, {});
      h.test_psnr = r.psnr;
      h.test_ssim = r.ssim;
    }
    result.history.push_back(h);
    loss_sum = 0;
    loss_count = 0;
  };

  // The last good state, for the divergence guard.
  struct Snapshot {
    model::Gaussians g;
    optim::GaussianAdam adam;
    int step;
  };
  const auto take_snapshot = [&](int step) {
    model::Gaussians copy = g;
    for (at::Tensor* t : copy.tensors()) *t = t->detach().clone();
    return Snapshot{copy, adam.clone(), step};
  };
  Snapshot good = take_snapshot(0);
  double lr_scale = 1.0;
  const auto roll_back = [&](int step, const std::string& what) {
    if (++result.rollbacks > o.max_rollbacks)
      throw std::runtime_error(what + " at step " + std::to_string(step) + ", still after " +
                               std::to_string(o.max_rollbacks) + " rollbacks; nothing written");
    g = good.g;
    for (at::Tensor* t : g.tensors()) *t = t->clone();
    optim::make_trainable(g);
    adam = good.adam.clone();
    lr_scale *= 0.5;  // applied to every rate from the next step on
    warn(what + " at step " + std::to_string(step) + ": rolled back to step " + std::to_string(good.step) +
         " and halved the learning rates");
  };

  Progress progress("fitting", o.iters);
  for (int step = 1; step <= o.iters; ++step) {
    if (o.before_step) o.before_step(step, g);
    for (size_t k = 0; k < base_lr.size(); ++k) adam.set_lr(k, lr_scale * base_lr[k]);
    adam.set_lr(optim::kMeans,
                lr_scale * optim::exponential_decay(lr.means * extent, lr.means_final * extent, step, o.iters));
    if (order.empty()) {  // a fresh random order of the training views
      order = ds.train;
      std::shuffle(order.begin(), order.end(), rng);
    }
    const size_t i = order.back();
    order.pop_back();
    const io::Frame& f = ds.frames[i];
    render::RenderSettings s;
    s.config.sh_degree = std::min(o.sh_degree, (step - 1) / 1000);
    s.background = o.random_background ? at::rand({3}) : fixed_bg;
    const render::RenderResult r = render::render(g, f.camera, s);
    at::Tensor rendered = r.rgb;
    if (masks[i].defined()) rendered = rendered * masks[i] + photos[i] * (1 - masks[i]);  // ignored pixels: no loss
    const at::Tensor loss = loss::photometric(rendered, photos[i], o.ssim_lambda);
    const double loss_value = loss.item<double>();
    if (!std::isfinite(loss_value)) {
      roll_back(step, "the loss became " + std::to_string(loss_value));
      progress.advance();
      continue;
    }
    loss_sum += loss_value;
    ++loss_count;
    loss.backward();
    const optim::StrategyContext ctx{step, o.iters, f.camera.width, f.camera.height, extent};
    strategy->after_backward(g, r, ctx);
    adam.step(g);
    for (at::Tensor* t : g.tensors()) t->mutable_grad() = at::Tensor();
    strategy->after_step(g, adam, ctx);
    if (o.snapshot_every > 0 && step % o.snapshot_every == 0) {
      // A NaN in a Gaussian that no view sees leaves the loss finite: check the parameters themselves.
      if (all_finite(g)) good = take_snapshot(step);
      else roll_back(step, "a parameter became NaN or infinite");
    }
    if (o.eval_every > 0 && step % o.eval_every == 0 && step < o.iters) record(step);
    progress.advance();
  }
  progress.finish();
  if (!all_finite(g)) roll_back(o.iters, "a parameter became NaN or infinite");
  record(o.iters);
  for (at::Tensor* t : g.tensors()) *t = t->detach();
  result.train = eval::evaluate(g, ds, ds.train, {});
  if (!ds.test.empty()) result.test = eval::evaluate(g, ds, ds.test, {});
  result.gaussians = g;
  result.time_s = elapsed();
  return result;
}

}  // namespace ttgs::fit
