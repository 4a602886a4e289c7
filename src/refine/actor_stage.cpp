// The actor stage (refiner_impl.hpp): each actor's box pose per timestamp — a shift along the box's x and y axes
// and a turn about its z axis — by Adam on the rendering loss of the frames of that timestamp, the Gaussians and
// cameras frozen. A timestamp's corrections only change its own frames, so every timestamp keeps the iterate with
// its lowest loss (its loss never rises), and held-out timestamps are corrected on their own images like their
// cameras; their pixels never reach the Gaussians. No early stop: the actors are a small part of each image, so the
// whole loss barely moves while they do.
#include <c10/core/GradMode.h>
#include <cmath>
#include <numeric>

#include "core/progress.hpp"
#include "eval/regions.hpp"
#include "loss/photometric.hpp"
#include "optim/adam.hpp"
#include "refine/refiner_impl.hpp"
#include "render/scene_view.hpp"

namespace ttgs::refine {
namespace {

// Per-entry step sizes (A, T, 3): shift, shift, turn where the actor is tracked at a timestamp some frame sees.
at::Tensor actor_rates(const model::ActorPoses& poses, const std::vector<bool>& seen, double shift, double yaw) {
  const int64_t a = poses.num_actors(), t = poses.quaternion.size(1);
  at::Tensor lr = at::zeros({a, t, 3});
  for (int64_t j = 0; j < t; ++j) {
    if (!seen[size_t(j)]) continue;
    lr.select(1, j).narrow(1, 0, 2).fill_(shift);
    lr.select(1, j).select(1, 2).fill_(yaw);
  }
  return lr * poses.present.to(at::kFloat).unsqueeze(2);
}

}  // namespace

StageReport Refiner::run_actor_stage(int steps) {
  const auto t0 = Clock::now();
  StageReport report;
  report.name = "actors";
  report.stop_reason = "steps";
  const bool has_val = !o_.val.empty();
  report.val_start = report.val_best = report.val_last = report.val_end = has_val ? validation_psnr() : kNaN;
  const model::ActorPoses start = scene_.actors;
  const int64_t num_t = start.quaternion.size(1);
  // Only frames that see an actor's box change with the corrections.
  std::vector<size_t> frames;
  std::vector<bool> is_train;
  for (size_t k = 0; k < used_.size(); ++k)
    if (eval::actor_box_mask(ds_, used_[k], ds_.frames[used_[k]].camera).sum().item<double>() > 0) {
      frames.push_back(used_[k]);
      is_train.push_back(k < train_.size());
    }
  std::vector<bool> seen(size_t(num_t), false);
  for (size_t i : frames) seen[size_t(ds_.frames[i].time_index)] = true;
  at::Tensor corr = at::zeros_like(actor_corrections_);  // on top of `start`
  optim::Adam adam;
  adam.add_group("actor_corrections", corr, 1.0, false);
  adam.set_lr_factors(0, actor_rates(start, seen, o_.lr_actor_shift, o_.lr_actor_yaw));
  at::Tensor best = corr.clone();
  std::vector<double> best_loss(size_t(num_t), std::numeric_limits<double>::infinity());
  std::vector<double> best_train(size_t(num_t), 0.0);  // training frames' share of best_loss
  const ImageLevel& lv = training_level();
  std::vector<at::Tensor> viewmats(ds_.frames.size());
  for (size_t i : frames) viewmats[i] = frame_viewmat(i, deltas_[int64_t(owner_[i])]).detach().to(at::kFloat);
  Progress progress("refining actors", steps);
  for (int step = 1; step <= steps + 1; ++step) {  // the last pass only measures the last update
    const bool last = step > steps;
    at::Tensor c = corr.detach().requires_grad_(!last);
    model::SceneModel moved = scene_;
    std::vector<double> loss_t(size_t(num_t), 0.0), train_t(size_t(num_t), 0.0);
    double total = 0;
    for (size_t k = 0; k < frames.size(); ++k) {
      const size_t i = frames[k];
      moved.actors = model::corrected_poses(start, c);  // per frame: each backward frees its graph
      at::Tensor l = loss::masked_photometric(render::render_view(moved, ds_, i, viewmats[i], lv.intrinsics[i], {}).rgb,
                                              lv.views.photo(i), lv.mask(i), o_.ssim_lambda);
      const double value = l.item<double>();
      const size_t t = size_t(ds_.frames[i].time_index);
      loss_t[t] += value;
      if (is_train[k]) train_t[t] += value / double(train_.size());
      total += value;
      if (!last && std::isfinite(value)) l.backward();
    }
    if (step == 1) report.start_loss = std::accumulate(train_t.begin(), train_t.end(), 0.0);
    for (int64_t t = 0; t < num_t; ++t)
      if (seen[size_t(t)] && loss_t[size_t(t)] < best_loss[size_t(t)]) {
        best_loss[size_t(t)] = loss_t[size_t(t)];
        best_train[size_t(t)] = train_t[size_t(t)];
        best.select(1, t).copy_(corr.select(1, t));
      }
    if (last) break;
    if (!std::isfinite(total)) {
      report.stop_reason = "non-finite loss";
      break;
    }
    report.steps = step;
    adam.set_lr(0, decay(step, steps));
    if (c.grad().defined()) c.mutable_grad() = at::nan_to_num(c.grad(), 0.0, 0.0, 0.0);
    adam.step({&c});
    corr = c.detach();
    progress.advance();
  }
  progress.finish();
  report.best_loss = std::accumulate(best_train.begin(), best_train.end(), 0.0);
  {
    c10::NoGradGuard no_grad;
    scene_.actors = model::corrected_poses(start, best);
  }
  actor_corrections_ = actor_corrections_ + best;
  if (has_val) report.val_best = report.val_last = report.val_end = validation_psnr();
  report.time_s = seconds_since(t0);
  return report;
}

}  // namespace ttgs::refine
