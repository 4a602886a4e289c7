// The Gaussian stage (refiner_impl.hpp): the chosen attributes of the chosen parts' Gaussians, the appearance
// transforms and the environment map on the training frames, the cameras at a fraction of their rate.
#include <cmath>

#include "core/progress.hpp"
#include "optim/adam.hpp"
#include "refine/refiner_impl.hpp"
#include "train/view_sampler.hpp"

namespace ttgs::refine {
namespace {

// The attribute tensors the stage changes, in the order of optim::gaussian_adam's groups.
std::array<bool, 6> trainable_attributes(const AttributeSet& a) {
  return {a.xyz, a.scale, a.rotation, a.opacity, a.color, a.color};
}

// (N) 1 for the rows of the chosen parts (static: part < 0; actors: part >= 0), undefined when all are chosen.
at::Tensor row_mask(const model::Gaussians& g, const PartSet& parts) {
  if (!g.part.defined() || (parts.static_part && parts.actors)) return at::Tensor();
  const at::Tensor part = g.parts();
  const at::Tensor chosen = parts.static_part ? part < 0 : part >= 0;
  return chosen.to(g.means.scalar_type());
}

struct Snapshot {
  model::Gaussians gaussians;
  at::Tensor environment, appearance, deltas;
};

}  // namespace

StageReport Refiner::run_gaussian_stage(int steps) {
  const auto t0 = Clock::now();
  StageReport report;
  report.name = "gaussians";
  report.stop_reason = "steps";
  report.val_start = report.val_best = report.val_last = report.val_end = kNaN;
  model::Gaussians& g = scene_.gaussians;
  const std::array<bool, 6> attrs = trainable_attributes(o_.attrs);
  const bool parts_gaussians = o_.parts.static_part || o_.parts.actors;
  auto tensors = g.tensors();
  for (size_t k = 0; k < 6; ++k)
    *tensors[k] = tensors[k]->detach().contiguous().requires_grad_(attrs[k] && parts_gaussians);
  const at::Tensor rows = row_mask(g, o_.parts);
  const std::array<double, 6> base = optim::gaussian_rates(o_.lr, extent_);
  optim::Adam adam = optim::gaussian_adam(g, base);
  std::vector<at::Tensor*> extra;  // the scene's other parameters, in the order of their Adam groups
  std::vector<double> extra_lr;
  if (scene_.environment.defined() && o_.parts.distant) {
    scene_.environment.logits = scene_.environment.logits.detach().requires_grad_(true);
    adam.add_group("environment", scene_.environment.logits, o_.lr_environment, false);
    extra.push_back(&scene_.environment.logits);
    extra_lr.push_back(o_.lr_environment);
  }
  if (scene_.appearance.defined() && o_.parts.appearance) {
    scene_.appearance = scene_.appearance.detach().requires_grad_(true);
    adam.add_group("appearance", scene_.appearance, o_.lr_appearance, false);
    extra.push_back(&scene_.appearance);
    extra_lr.push_back(o_.lr_appearance);
  }
  // Moving Gaussians and cameras together: one camera group stays fixed (the gauge). The corrections are a group of
  // their own with per-group rates.
  const at::Tensor pose_lr = pose_rates(o_.pose_lr_in_gs_stage, o_.attrs.xyz);
  const size_t pose_group = adam.add_group("camera_corrections", deltas_, 0, false);
  adam.set_lr_factors(pose_group, pose_lr);
  const bool poses = pose_lr.abs().sum().item<double>() > 0;
  const bool guard = !o_.val.empty();
  const auto snapshot = [&] {
    return Snapshot{g.clone(), scene_.environment.defined() ? scene_.environment.logits.detach().clone() : at::Tensor(),
                    scene_.appearance.defined() ? scene_.appearance.detach().clone() : at::Tensor(), deltas_.clone()};
  };

  Snapshot best = snapshot();
  double best_loss = std::numeric_limits<double>::infinity(), best_val = -std::numeric_limits<double>::infinity();
  int since_improvement = 0;
  const ImageLevel& lv = training_level();
  // A step's frames: all, or frames_per_step of them; its loss is the mean of every training frame's latest loss.
  const size_t per_step = gaussian_frames_per_step(o_, train_.size());
  // Patience in passes over the training frames: a step of a few frames improves the loss less than a step of all.
  const int patience = gaussian_steps_for_passes(o_, train_.size(), o_.patience);
  train::ViewSampler sampler(train_, 0x9e3779b97f4a7c15ULL);
  std::map<size_t, double> latest_loss;
  Progress progress("refining gaussians", steps);
  for (int step = 1; step <= steps; ++step) {
    const double rate = decay(step, steps);
    for (size_t k = 0; k < 6; ++k) adam.set_lr(k, rate * base[k]);
    for (size_t k = 0; k < extra.size(); ++k) adam.set_lr(6 + k, rate * extra_lr[k]);
    adam.set_lr(pose_group, rate);
    at::Tensor deltas = deltas_.detach().clone().requires_grad_(poses);
    for (size_t n = 0; n < per_step; ++n) {
      const size_t i = per_step == train_.size() ? train_[n] : sampler.next();
      const at::Tensor vm = frame_viewmat(i, deltas[int64_t(owner_[i])]).to(at::kFloat);
      const at::Tensor l = frame_loss(i, vm, lv, (step - 1) % std::max(1, o_.realign_every) == 0);
      latest_loss[i] = l.item<double>();
      (l / double(per_step)).backward();
    }
    double loss = 0;
    for (const auto& [frame, value] : latest_loss) loss += value / double(latest_loss.size());
    if (step == 1) report.start_loss = loss;
    if (!std::isfinite(loss)) {
      report.stop_reason = "non-finite loss";
      break;
    }
    // This iterate (after step - 1 updates): the best so far?
    bool keep = loss < best_loss;
    if (guard) {
      const double val = validation_psnr();
      if (step == 1) report.val_start = val;
      report.val_last = val;
      if (val < best_val - o_.val_tolerance_db) {
        report.stop_reason = "validation PSNR dropped";
        break;
      }
      keep = val >= best_val;
      best_val = std::max(best_val, val);
    }
    const bool improved = loss < best_loss * (1 - o_.min_rel_improvement);
    best_loss = std::min(best_loss, loss);
    if (keep) {
      best = snapshot();
      report.best_step = step - 1;
      report.best_loss = loss;
    }
    since_improvement = improved ? 0 : since_improvement + 1;
    report.steps = step;
    if (since_improvement >= patience) {
      report.stop_reason = "no improvement";
      break;
    }
    if (rows.defined())  // rows of the parts left alone: no gradient, so Adam never moves them
      for (at::Tensor* t : g.tensors())
        if (t->grad().defined()) {
          std::vector<int64_t> shape(size_t(t->dim()), 1);
          shape[0] = -1;
          t->mutable_grad() = t->grad() * rows.reshape(shape);
        }
    std::vector<at::Tensor*> params = g.tensors();
    params.insert(params.end(), extra.begin(), extra.end());
    params.push_back(&deltas);
    adam.step(params);
    deltas_ = deltas.detach();
    for (at::Tensor* t : params) t->mutable_grad() = at::Tensor();
    progress.advance();
  }
  progress.finish();
  g = best.gaussians;
  if (best.environment.defined()) scene_.environment.logits = best.environment;
  if (best.appearance.defined()) scene_.appearance = best.appearance;
  deltas_ = best.deltas;
  if (guard) report.val_best = report.val_end = best_val;
  report.time_s = seconds_since(t0);
  return report;
}

}  // namespace ttgs::refine
