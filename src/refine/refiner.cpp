#include "refine/refiner.hpp"

#include <map>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "eval/metrics.hpp"
#include "fit/trainer.hpp"
#include "loss/photometric.hpp"
#include "model/tensor_image.hpp"
#include "refine/depth_prior.hpp"
#include "render/rasterizer.hpp"

namespace ttgs::refine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The attribute tensors stage 2 changes, in GaussianAdam's order.
std::array<bool, 6> trainable_attributes(const AttributeSet& a) {
  return {a.xyz, a.scale, a.rotation, a.opacity, a.color, a.color};
}

// The frames at one resolution (a level of the coarse-to-fine pyramid): photos, masks, intrinsics.
struct Level {
  std::vector<at::Tensor> photo, mask;  // per dataset frame; undefined where unused
  std::vector<render::Intrinsics> intrinsics;
};

struct Alignment {
  at::Tensor source_disparity;  // (H, W) prior disparity
  at::Tensor inliers;           // (H, W) bool
  double scale = 1, shift = 0, inlier_fraction = 0, sky_fraction = -1;
  bool ok = false;
  int factor = 0;  // pyramid level it was computed at
};

class Refiner {
 public:
  Refiner(const io::Dataset& ds, const model::Gaussians& init, const RefineOptions& o)
      : ds_(ds), o_(o), g_(init.clone()), extent_(fit::scene_extent(ds)) {
    const size_t n = ds.frames.size();
    viewmat_.resize(n);
    alignment_.resize(n);
    for (size_t i = 0; i < n; ++i) viewmat_[i] = render::viewmat_of(ds.frames[i].camera, at::kDouble);
    for (size_t i : ds.train)
      if (std::find(o.val.begin(), o.val.end(), i) == o.val.end()) train_.push_back(i);
    if (train_.empty()) throw InputError(ds.path, "no training frames left for refinement after taking out --val");
    used_ = train_;
    used_.insert(used_.end(), o.val.begin(), o.val.end());
    compute_pivots();
    deltas_ = at::zeros({int64_t(n), 6}, at::kDouble);
    reference_ = o.reference_frame >= 0 ? size_t(o.reference_frame) : train_.front();
  }

  RefineResult run() {
    const auto t0 = Clock::now();
    RefineResult result;
    result.train = train_;
    result.before_train = evaluate(train_);
    if (!o_.val.empty()) result.before_val = evaluate(o_.val);
    if (o_.stage_pose && o_.steps_pose > 0) {
      // Cameras only; validation frames get their cameras refined too (their pixels never reach the Gaussians).
      std::vector<size_t> rendered = train_;
      rendered.insert(rendered.end(), o_.val.begin(), o_.val.end());
      result.stages.push_back(run_stage("pose", o_.steps_pose, rendered, pose_rates(rendered, 1.0, false), false));
    }
    if (o_.stage_gs && o_.steps_gs > 0) {
      const bool pin = o_.attrs.xyz;  // moving Gaussians and cameras together: fix one camera
      result.stages.push_back(
          run_stage("gaussians", o_.steps_gs, train_, pose_rates(train_, o_.pose_lr_in_gs_stage, pin), true));
    }
    result.after_train = evaluate(train_);
    if (!o_.val.empty()) result.after_val = evaluate(o_.val);
    for (size_t i = 0; i < ds_.frames.size(); ++i) result.cameras.push_back(camera(i));
    for (size_t i = 0; i < alignment_.size(); ++i)
      if (alignment_[i].ok)
        result.depth.push_back({i, alignment_[i].scale, alignment_[i].shift, alignment_[i].inlier_fraction,
                                alignment_[i].sky_fraction});
    for (at::Tensor* t : g_.tensors()) *t = t->detach();
    result.gaussians = g_;
    result.time_s = seconds_since(t0);
    return result;
  }

 private:
  // The frames downscaled by `factor` (built on first use).
  const Level& level(int factor) {
    Level& l = levels_[factor];
    if (!l.photo.empty()) return l;
    const size_t n = ds_.frames.size();
    l.photo.resize(n);
    l.mask.resize(n);
    l.intrinsics.resize(n);
    for (size_t i : used_) {
      const io::Frame& f = ds_.frames[i];
      l.intrinsics[i] = render::intrinsics_of(f.camera.downscaled(factor));
      l.photo[i] = model::to_tensor(factor > 1 ? downscale_area(f.image, factor) : f.image);
      if (f.mask) l.mask[i] = model::to_tensor(factor > 1 ? downscale_min(*f.mask, factor) : *f.mask);
    }
    return l;
  }

  Camera camera(size_t i) const { return corrected_camera(ds_.frames[i].camera, deltas_[int64_t(i)], pivot_[i]); }

  // Pivot of each frame's correction: the median depth of what the input model shows in it.
  void compute_pivots() {
    at::NoGradGuard no_grad;
    pivot_.assign(ds_.frames.size(), 0.0);
    for (size_t i : used_) {
      const render::RenderResult r = render::render(g_, ds_.frames[i].camera.downscaled(4), {});
      const at::Tensor covered = r.alpha > 0.5;
      if (covered.sum().item<int64_t>() == 0) continue;
      pivot_[i] = (r.depth / r.alpha.clamp_min(1e-6)).masked_select(covered).median().item<double>();
    }
  }

  eval::EvalReport evaluate(const std::vector<size_t>& frames) const {
    io::Dataset view;  // the frames with their current cameras (images shared, not copied)
    view.path = ds_.path;
    view.frames.resize(ds_.frames.size());
    for (size_t i : frames) {
      view.frames[i].name = ds_.frames[i].name;
      view.frames[i].camera = camera(i);
      view.frames[i].image = ds_.frames[i].image;
      view.frames[i].mask = ds_.frames[i].mask;
    }
    return eval::evaluate(g_, view, frames, {});
  }

  // Per-frame Adam step sizes (F, 6): rotation then translation; zero rows are frozen.
  at::Tensor pose_rates(const std::vector<size_t>& frames, double factor, bool pin_reference) const {
    at::Tensor lr = at::zeros({int64_t(ds_.frames.size()), 6}, at::kDouble);
    for (size_t i : frames) {
      if (pin_reference && i == reference_) continue;
      lr[int64_t(i)].slice(0, 0, 3).fill_(factor * o_.lr_pose_rotation);
      lr[int64_t(i)].slice(0, 3, 6).fill_(factor * o_.lr_pose_translation * extent_);
    }
    return lr;
  }

  double validation_psnr() {
    at::NoGradGuard no_grad;
    const Level& full = level(1);
    double sum = 0;
    for (size_t i : o_.val) {
      const at::Tensor vm = corrected_viewmat(viewmat_[i], deltas_[int64_t(i)], pivot_[i]).to(at::kFloat);
      const at::Tensor rgb = render::render(g_, vm, full.intrinsics[i], {}).rgb.clamp(0, 1);
      sum += eval::psnr(rgb, full.photo[i], full.mask[i]);
    }
    return sum / double(o_.val.size());
  }

  // Fits the frame's prior disparity to the rendered one (mean depth of covered pixels).
  void align_depth(size_t i, const render::RenderResult& r, const Level& lv, int factor) {
    Alignment& a = alignment_[i];
    at::NoGradGuard no_grad;
    const at::Tensor prior = resize_nearest(o_.depth_priors[i], r.alpha.size(0), r.alpha.size(1));
    a.factor = factor;
    a.source_disparity = at::where(prior > 0, 1 / prior.clamp_min(1e-12), at::zeros_like(prior)).contiguous();
    const at::Tensor alpha = r.alpha.squeeze(2), depth = r.depth.squeeze(2);
    const at::Tensor target = (alpha / depth.clamp_min(1e-12)).contiguous();
    at::Tensor valid = (prior > 0) & (alpha > 0.5) & (depth > 0);
    if (lv.mask[i].defined()) valid = valid & (lv.mask[i].squeeze(2) > 0.5);
    const auto vec = [](const at::Tensor& t) {
      const at::Tensor c = t.to(at::kFloat).contiguous();
      return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    };
    if (o_.sky_fusion) {
      const at::Tensor luminance = lv.photo[i].matmul(at::tensor({0.299, 0.587, 0.114}, lv.photo[i].options()));
      const SkyMask sky = fuse_sky(vec(a.source_disparity), vec(alpha), vec(luminance), int(prior.size(0)),
                                   int(prior.size(1)), o_.sky);
      a.sky_fraction = double(sky.pixels) / double(prior.numel());
      const at::Tensor is_sky = at::from_blob(const_cast<uint8_t*>(sky.sky.data()), prior.sizes(), at::kByte).to(at::kBool);
      valid = valid & ~is_sky;
    }
    valid = valid.to(at::kByte).contiguous();
    const std::vector<uint8_t> v(valid.data_ptr<uint8_t>(), valid.data_ptr<uint8_t>() + valid.numel());
    const AffineFit fit = fit_affine_ransac(vec(a.source_disparity), vec(target), v, o_.ransac);
    a.ok = fit.ok;
    if (!fit.ok) return;
    a.scale = fit.scale;
    a.shift = fit.shift;
    a.inlier_fraction = fit.num_valid ? double(fit.num_inliers) / double(fit.num_valid) : 0.0;
    a.inliers = at::from_blob(const_cast<uint8_t*>(fit.inliers.data()), prior.sizes(), at::kByte).to(at::kBool).clone();
  }

  // L1 between the rendered disparity and the aligned prior on the inlier pixels, relative to the prior's mean.
  at::Tensor depth_loss(size_t i, const render::RenderResult& r) const {
    const Alignment& a = alignment_[i];
    const at::Tensor target = (a.scale * a.source_disparity + a.shift).to(r.depth.scalar_type());
    const at::Tensor disparity = r.alpha.squeeze(2) / r.depth.squeeze(2).clamp_min(1e-6);
    const at::Tensor w = a.inliers.to(r.depth.scalar_type());
    const at::Tensor count = w.sum().clamp_min(1);
    const at::Tensor norm = ((target.abs() * w).sum() / count).clamp_min(1e-12).detach();
    return ((disparity - target).abs() * w).sum() / count / norm;
  }

  StageReport run_stage(const std::string& name, int steps, const std::vector<size_t>& rendered,
                        const at::Tensor& pose_lr, bool change_gaussians) {
    const auto t0 = Clock::now();
    StageReport report;
    report.name = name;
    report.stop_reason = "steps";
    const std::array<bool, 6> attrs = trainable_attributes(o_.attrs);
    auto tensors = g_.tensors();
    for (size_t k = 0; k < 6; ++k) *tensors[k] = tensors[k]->detach().contiguous().requires_grad_(change_gaussians && attrs[k]);
    const optim::LearningRates& lr = o_.lr;
    const std::array<double, 6> base = {lr.means * extent_, lr.log_scales, lr.quats, lr.opacity, lr.sh_dc, lr.sh_rest};
    optim::GaussianAdam adam(g_, base);
    at::Tensor pose_m = at::zeros_like(deltas_), pose_v = at::zeros_like(deltas_);
    const bool poses = pose_lr.abs().sum().item<double>() > 0;
    const bool guard = change_gaussians && !o_.val.empty();

    model::Gaussians best_g = g_.clone();
    at::Tensor best_deltas = deltas_.clone();
    double best_loss = std::numeric_limits<double>::infinity(), best_val = -std::numeric_limits<double>::infinity();
    int since_improvement = 0;
    Progress progress("refining " + name, steps);
    for (int step = 1; step <= steps; ++step) {
      const double decay = std::pow(o_.lr_final_fraction, double(step - 1) / double(std::max(1, steps - 1)));
      for (size_t k = 0; k < 6; ++k) adam.set_lr(k, decay * base[k]);
      const at::Tensor deltas = deltas_.detach().clone().requires_grad_(poses);
      // Coarse to fine: the camera stage starts on downscaled images (a wider basin, and faster).
      int factor = 1;
      if (!change_gaussians)
        for (size_t k = 0; k < o_.pose_pyramid.size(); ++k)
          if (step <= steps * double(k + 1) / double(o_.pose_pyramid.size() + 1)) {
            factor = o_.pose_pyramid[k];
            break;
          }
      // A level too small to show structure misleads more than it helps.
      const Camera& any = ds_.frames[rendered.front()].camera;
      while (factor > 1 && std::min(any.width, any.height) / factor < o_.pyramid_min_size) factor /= 2;
      const Level& lv = level(factor);
      double loss_sum = 0;
      for (size_t i : rendered) {
        const at::Tensor vm = corrected_viewmat(viewmat_[i], deltas[int64_t(i)], pivot_[i]).to(at::kFloat);
        const render::RenderResult r = render::render(g_, vm, lv.intrinsics[i], {});
        at::Tensor rgb = r.rgb;
        if (lv.mask[i].defined()) rgb = rgb * lv.mask[i] + lv.photo[i] * (1 - lv.mask[i]);
        at::Tensor loss = loss::photometric(rgb, lv.photo[i], o_.ssim_lambda);
        if (i < o_.depth_priors.size() && o_.depth_priors[i].defined()) {
          Alignment& a = alignment_[i];
          if ((step - 1) % std::max(1, o_.realign_every) == 0 || !a.ok || a.factor != factor) align_depth(i, r, lv, factor);
          if (a.ok) loss = loss + o_.depth_weight * depth_loss(i, r);
        }
        loss_sum += loss.item<double>();
        if (poses || change_gaussians) (loss / double(rendered.size())).backward();
      }
      const double loss = loss_sum / double(rendered.size());
      if (step == 1) report.start_loss = loss;
      if (!std::isfinite(loss)) {
        report.stop_reason = "non-finite loss";
        break;
      }
      // This iterate (after step - 1 updates): the best so far?
      bool keep = false;
      if (guard) {
        const double val = validation_psnr();
        if (val < best_val - o_.val_tolerance_db) {
          report.stop_reason = "validation PSNR dropped";
          break;
        }
        keep = val >= best_val;
        best_val = std::max(best_val, val);
      }
      const bool improved = loss < best_loss * (1 - o_.min_rel_improvement);
      if (!guard) keep = loss < best_loss;
      best_loss = std::min(best_loss, loss);
      if (keep) {
        best_g = g_.clone();
        best_deltas = deltas_.clone();
        report.best_step = step - 1;
        report.best_loss = loss;
      }
      since_improvement = improved ? 0 : since_improvement + 1;
      report.steps = step;
      if (since_improvement >= o_.patience) {
        report.stop_reason = "no improvement";
        break;
      }
      // Update.
      if (poses) {
        at::Tensor d = deltas_;
        optim::adam_update(d, deltas.grad(), pose_m, pose_v, decay * pose_lr, step);
      }
      if (change_gaussians) adam.step(g_);
      for (at::Tensor* t : g_.tensors()) t->mutable_grad() = at::Tensor();
      progress.advance();
    }
    progress.finish();
    g_ = best_g;
    deltas_ = best_deltas;
    report.time_s = seconds_since(t0);
    return report;
  }

  const io::Dataset& ds_;
  const RefineOptions& o_;
  model::Gaussians g_;
  double extent_;
  std::vector<at::Tensor> viewmat_;  // input world-to-camera matrices (double)
  std::map<int, Level> levels_;
  std::vector<size_t> used_;         // training and validation frames
  std::vector<double> pivot_;        // per frame: depth of the correction's pivot
  std::vector<Alignment> alignment_;
  std::vector<size_t> train_;
  at::Tensor deltas_;  // (F, 6) camera corrections, double
  size_t reference_ = 0;
};

}  // namespace

AttributeSet parse_attributes(const std::string& list) {
  AttributeSet a{false, false, false, false, false};
  std::stringstream ss(list);
  std::string item;
  int count = 0;
  while (std::getline(ss, item, ',')) {
    if (item == "opacity") a.opacity = true;
    else if (item == "color" || item == "colour") a.color = true;
    else if (item == "rotation") a.rotation = true;
    else if (item == "xyz") a.xyz = true;
    else if (item == "scale") a.scale = true;
    else throw InputError("--attrs", "unknown attribute '" + item + "' (opacity, color, rotation, xyz, scale)");
    ++count;
  }
  if (count == 0) throw InputError("--attrs", "empty list");
  return a;
}

std::string to_string(const AttributeSet& a) {
  std::string s;
  for (const auto& [on, name] : {std::pair{a.opacity, "opacity"}, {a.color, "color"}, {a.rotation, "rotation"},
                                 {a.xyz, "xyz"}, {a.scale, "scale"}})
    if (on) s += (s.empty() ? "" : ",") + std::string(name);
  return s;
}

RefineResult refine(const io::Dataset& ds, const model::Gaussians& init, const RefineOptions& o) {
  if (o.steps_pose < 0 || o.steps_gs < 0) throw InputError("--steps-pose/--steps-gs", "must not be negative");
  if (o.patience < 1) throw InputError("--patience", "must be at least 1");
  if (init.size() == 0) throw InputError(ds.path, "the initial model has no Gaussians");
  for (size_t i : o.val)
    if (i >= ds.frames.size()) throw std::invalid_argument("refine: validation frame out of range");
  for (const at::Tensor& p : o.depth_priors)
    if (p.defined() && p.dim() != 2) throw std::invalid_argument("refine: depth priors must be (H, W)");
  return Refiner(ds, init, o).run();
}

}  // namespace ttgs::refine
