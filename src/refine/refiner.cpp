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
#include "loss/photometric.hpp"
#include "model/tensor_image.hpp"
#include "optim/schedule.hpp"
#include "refine/depth_prior.hpp"
#include "refine/image_levels.hpp"
#include "render/rasterizer.hpp"

namespace ttgs::refine {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The attribute tensors stage 2 changes, in the order of optim::gaussian_adam's groups.
std::array<bool, 6> trainable_attributes(const AttributeSet& a) {
  return {a.xyz, a.scale, a.rotation, a.opacity, a.color, a.color};
}

struct Alignment {
  at::Tensor source_disparity;  // (H, W) prior disparity
  at::Tensor inliers;           // (H, W) bool
  double scale = 1, shift = 0, inlier_fraction = 0, sky_fraction = -1;
  bool ok = false;
  int factor = 0;  // pyramid level it was computed at
};

PoseVector to_pose_vector(const at::Tensor& t) {
  const at::Tensor c = t.detach().to(at::kDouble).contiguous();
  PoseVector v;
  std::copy(c.data_ptr<double>(), c.data_ptr<double>() + 6, v.begin());
  return v;
}

at::Tensor to_tensor(const PoseVector& v) { return at::tensor(std::vector<double>(v.begin(), v.end()), at::kDouble); }

// A frame's full-resolution loss and PSNR.
struct FrameScore {
  double loss = 0, psnr = 0;
};

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

class Refiner {
 public:
  Refiner(const io::Dataset& ds, const model::Gaussians& init, const RefineOptions& o)
      : ds_(ds), o_(o), init_(init), g_(init.clone()), extent_(io::scene_extent(ds)) {
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
    // Cameras only; validation frames get their cameras refined too (their pixels never reach the Gaussians).
    if (o_.stage_pose && o_.steps_pose > 0) result.stages.push_back(run_pose_stage(o_.steps_pose, result));
    if (o_.stage_gs && o_.steps_gs > 0) result.stages.push_back(run_gaussian_stage(o_.steps_gs));
    result.after_train = evaluate(train_);
    if (!o_.val.empty()) {
      result.after_val = evaluate(o_.val);
      if (result.after_val.psnr < result.before_val.psnr) {  // never worse on the held-out views than the input
        warn("refine: the held-out views got worse; the input model and cameras are kept");
        g_ = init_.clone();
        deltas_.zero_();
        result.restored_input = true;
        result.after_train = result.before_train;
        result.after_val = result.before_val;
      }
    }
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
  // The frames downscaled by `factor`, photos blurred by `blur` (built on first use).
  const ImageLevel& level(int factor, double blur = 0) {
    ImageLevel& l = levels_[{factor, blur}];
    if (l.blurred.empty()) l = make_image_level(ds_, used_, factor, blur);
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

  // Full-resolution loss and PSNR of each frame with its current camera. The PSNR is computed exactly as
  // eval::evaluate computes it (same rendering, clamping and mask), so it agrees with the report to the bit.
  std::vector<FrameScore> frame_scores(const std::vector<size_t>& frames, bool with_loss = true) {
    at::NoGradGuard no_grad;
    std::vector<FrameScore> scores;
    for (size_t i : frames) {
      const io::Frame& f = ds_.frames[i];  // the float photo eval::evaluate reads, not the 8-bit cache
      const at::Tensor photo = model::to_tensor(f.image), mask = f.mask ? model::to_tensor(*f.mask) : at::Tensor();
      const at::Tensor rgb = render::render(g_, camera(i), {}).rgb.clamp(0, 1);
      const double loss =
          with_loss ? loss::masked_photometric(rgb, photo, mask, o_.ssim_lambda).item<double>() : 0.0;
      scores.push_back({loss, eval::psnr(rgb, photo, mask)});
    }
    return scores;
  }

  // Mean validation PSNR, accumulated as eval::evaluate accumulates it.
  double validation_psnr() {
    double mean = 0;
    for (const FrameScore& s : frame_scores(o_.val, false)) mean += s.psnr / double(o_.val.size());
    return mean;
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

  // Fits the frame's prior disparity to the rendered one (mean depth of covered pixels).
  void align_depth(size_t i, const render::RenderResult& r, const ImageLevel& lv, int factor) {
    Alignment& a = alignment_[i];
    at::NoGradGuard no_grad;
    const at::Tensor prior = resize_nearest(o_.depth_priors[i], r.alpha.size(0), r.alpha.size(1));
    a.factor = factor;
    a.source_disparity = at::where(prior > 0, 1 / prior.clamp_min(1e-12), at::zeros_like(prior)).contiguous();
    const at::Tensor alpha = r.alpha.squeeze(2), depth = r.depth.squeeze(2);
    const at::Tensor target = (alpha / depth.clamp_min(1e-12)).contiguous();
    at::Tensor valid = (prior > 0) & (alpha > 0.5) & (depth > 0);
    if (const at::Tensor mask = lv.views.mask(i); mask.defined()) valid = valid & (mask.squeeze(2) > 0.5);
    const auto vec = [](const at::Tensor& t) {
      const at::Tensor c = t.to(at::kFloat).contiguous();
      return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
    };
    if (o_.sky_fusion) {
      const at::Tensor luminance = lv.views.photo(i).matmul(at::tensor({0.299f, 0.587f, 0.114f}));
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

  // The training loss of frame i seen through `viewmat` at one pyramid level: photometric, plus the depth prior's
  // term where the frame has one (re-aligned when `realign`, or when it has no alignment at this level).
  at::Tensor frame_loss(size_t i, const at::Tensor& viewmat, const ImageLevel& lv, bool realign) {
    const render::RenderResult r = render::render(g_, viewmat, lv.intrinsics[i], {});
    at::Tensor loss = loss::masked_photometric(r.rgb, lv.views.photo(i), lv.views.mask(i), o_.ssim_lambda);
    if (i < o_.depth_priors.size() && o_.depth_priors[i].defined()) {
      Alignment& a = alignment_[i];
      if (realign || !a.ok || a.factor != lv.factor) align_depth(i, r, lv, lv.factor);
      if (a.ok) loss = loss + o_.depth_weight * depth_loss(i, r);
    }
    return loss;
  }

  // Level k of the coarse-to-fine schedule: the images blurred by pose_blur[k] (a Gaussian of that sigma, as a
  // fraction of the image's smaller side). A level is downscaled by the largest power of two that keeps the blur at
  // 1.5 pixels or more and the smaller side at pyramid_min_size or more; the rest of the blur is applied at that
  // resolution (a box downscale by f blurs by about 0.29 f).
  const ImageLevel& pose_level(size_t k) {
    const Camera& any = ds_.frames[used_.front()].camera;
    const int side = std::min(any.width, any.height);
    const double sigma = k < o_.pose_blur.size() ? o_.pose_blur[k] * side : 0.0;  // full-resolution pixels
    int factor = 1;
    while (sigma / (2 * factor) >= 1.5 && side / (2 * factor) >= o_.pyramid_min_size) factor *= 2;
    const double rest = std::sqrt(std::max(0.0, sigma * sigma - 0.083 * factor * factor)) / factor;
    return level(factor, rest >= 0.3 ? rest : 0.0);
  }

  double decay(int step, int steps) const {  // exponential, from 1 at the first step to lr_final_fraction
    return optim::exponential_decay(1.0, o_.lr_final_fraction, step - 1, std::max(1, steps - 1));
  }

  // Frame i seen through `delta`, rendered at full resolution and reduced as the level's photos were (box downscale,
  // then blur): a render at the level's resolution would point-sample fine texture (aliasing the blur cannot undo).
  struct LevelRender {
    render::RenderResult full;
    at::Tensor image;  // (h, w, 3) at the level
  };
  LevelRender level_render(size_t i, const PoseVector& delta, const ImageLevel& lv) {
    at::NoGradGuard no_grad;
    const at::Tensor vm = corrected_viewmat(viewmat_[i], to_tensor(delta), pivot_[i]).to(at::kFloat);
    LevelRender out{render::render(g_, vm, level(1).intrinsics[i], {}), {}};
    ++pose_renders_;
    const at::Tensor reduced = downscale_mean(out.full.rgb, lv.factor);
    out.image = (lv.blur > 0 ? gaussian_blur(reduced, lv.blur) : reduced).contiguous();
    return out;
  }

  // Frame i's residual as one vector whose squared norm is the cost the camera stage minimizes: (rendered - photo)
  // at the level over the valid pixels, scaled to the mean squared error; with a depth prior, the disparity residual
  // (full resolution) on the inliers, relative to the mean disparity, weighted by depth_weight.
  at::Tensor pose_residual(size_t i, const LevelRender& seen, const ImageLevel& lv, bool realign) {
    at::NoGradGuard no_grad;
    at::Tensor res = seen.image - lv.blurred[i];
    if (const at::Tensor mask = lv.views.mask(i); mask.defined()) res = res * mask;  // masked pixels: no residual
    res = res.flatten() / std::sqrt(double(res.numel()));
    if (i < o_.depth_priors.size() && o_.depth_priors[i].defined()) {
      const render::RenderResult& r = seen.full;
      Alignment& a = alignment_[i];
      if (realign || !a.ok || a.factor != 1) align_depth(i, r, level(1), 1);
      if (a.ok) {
        const at::Tensor target = (a.scale * a.source_disparity + a.shift).to(at::kFloat);
        const at::Tensor disparity = r.alpha.squeeze(2) / r.depth.squeeze(2).clamp_min(1e-6);
        const at::Tensor w = a.inliers.to(at::kFloat);
        const double count = std::max(1.0, w.sum().item<double>());
        const double norm = std::max(1e-12, (target.abs() * w).sum().item<double>() / count);
        res = at::cat({res, ((disparity - target) * w).flatten() * (std::sqrt(o_.depth_weight / count) / norm)});
      }
    }
    return res.to(at::kDouble);
  }
  at::Tensor pose_residual(size_t i, const PoseVector& delta, const ImageLevel& lv, bool realign) {
    return pose_residual(i, level_render(i, delta, lv), lv, realign);
  }

  // Before the coarsest level: the frame's best whole-image shift between its render and its photo (searched over
  // ±12% of the level's width), turned into a rotation about the camera centre, becomes its start when that lowers
  // its cost. A global search: a start 2° and 5% off is mostly a shift, and the shift is found whatever local minima
  // fine or periodic texture leaves in the cost.
  void shift_start(size_t i, FramePoseSearch& s, const ImageLevel& lv) {
    at::NoGradGuard no_grad;
    const LevelRender current = level_render(i, s.best, lv);
    const at::Tensor& moving = current.image;
    const at::Tensor fixed = lv.blurred[i].contiguous();
    const int h = int(fixed.size(0)), w = int(fixed.size(1));
    const at::Tensor mask = lv.views.mask(i);
    const at::Tensor weight = (mask.defined() ? mask.squeeze(2) : at::ones({h, w})).to(at::kFloat).contiguous();
    const ImageShift shift = best_image_shift(moving.data_ptr<float>(), fixed.data_ptr<float>(), weight.data_ptr<float>(),
                                              h, w, 3, std::max(1, int(0.12 * w)));
    if (shift.dx == 0 && shift.dy == 0) return;
    // Rotation about the camera centre that moves the image by (dx, dy); in the pivot's parametrization its
    // translation part cancels the pivot's: v = -(I - R) p.
    const render::Intrinsics& k = lv.intrinsics[i];
    PoseVector candidate = s.best;
    candidate[0] += -shift.dy / k.fy;
    candidate[1] += shift.dx / k.fx;
    const at::Tensor R = so3_exp(to_tensor(candidate).slice(0, 0, 3));
    for (int c = 0; c < 3; ++c)
      candidate[size_t(3 + c)] = -pivot_[i] * ((c == 2 ? 1.0 : 0.0) - R[c][2].item<double>());
    const double before = pose_residual(i, current, lv, true).square().sum().item<double>();
    const double after = pose_residual(i, candidate, lv, false).square().sum().item<double>();
    if (after < before) s.delta = s.best = candidate;
  }

  // Image motion (pixels at this level) of a unit change of each pose component: rotations and shifts seen at the
  // frame's pivot depth. Bounds the steps and sets the finite-difference steps.
  PoseVector pixels_per_unit(size_t i, const ImageLevel& lv) const {
    const double fx = std::max(lv.intrinsics[i].fx, lv.intrinsics[i].fy);
    const double depth = pivot_[i] > 0 ? pivot_[i] : extent_;
    return {fx, fx, fx, fx / depth, fx / depth, fx / depth};
  }

  // The Jacobian (P, 6) of frame i's residual at `delta`, by forward differences of renders.
  at::Tensor jacobian(size_t i, const PoseVector& delta, const at::Tensor& residual, const ImageLevel& lv,
                      const PoseVector& px) {
    std::vector<at::Tensor> columns;
    for (size_t k = 0; k < 6; ++k) {
      PoseVector moved = delta;
      const double h = o_.pose_search.jacobian_step_px / px[k];
      moved[k] += h;
      columns.push_back((pose_residual(i, moved, lv, false) - residual) / h);
    }
    return at::stack(columns, 1);
  }

  static NormalEquations normal_equations(const at::Tensor& J, const at::Tensor& residual) {
    const at::Tensor jtj = at::matmul(J.t(), J).contiguous(), jtr = at::matmul(J.t(), residual).contiguous();
    NormalEquations e;
    std::copy(jtj.data_ptr<double>(), jtj.data_ptr<double>() + 36, e.jtj.begin());
    std::copy(jtr.data_ptr<double>(), jtr.data_ptr<double>() + 6, e.jtr.begin());
    return e;
  }

  // One frame at one level: Levenberg-Marquardt until it settles or has measured `budget` poses. The Jacobian is
  // measured by finite differences at the level's first pose and whenever a step from a stale one fails; after an
  // accepted step it is updated by Broyden's rank-one rule (secant condition J·d = Δr, d weighted by image motion),
  // so most steps cost one render instead of seven.
  void align_frame(size_t i, FramePoseSearch& s, const ImageLevel& lv, int budget) {
    const PoseVector px = pixels_per_unit(i, lv);
    const at::Tensor w = at::tensor(std::vector<double>(px.begin(), px.end()), at::kDouble).square();
    at::Tensor J, best_residual;
    bool fresh = false;
    int failures = 0;  // undone steps in a row
    for (int m = 0; m < budget && !s.settled; ++m) {
      const PoseVector previous = s.best;
      const at::Tensor residual = pose_residual(i, s.delta, lv, m == 0);
      if (pose_search_measure(s, residual.square().sum().item<double>(), o_.pose_search)) {
        if (!J.defined()) {
          J = jacobian(i, s.best, residual, lv, px);
          fresh = true;
        } else {
          const at::Tensor d = to_tensor(s.best) - to_tensor(previous);
          const at::Tensor wd = w * d;
          J = J + at::outer(residual - best_residual - at::matmul(J, d), wd) / (d * wd).sum().clamp_min(1e-300);
          fresh = false;
        }
        best_residual = residual;
        failures = 0;
        const NormalEquations e = normal_equations(J, residual);
        pose_search_propose(s, &e, px, o_.pose_search);
      } else if (!fresh && J.defined() && ++failures >= 2) {
        J = jacobian(i, s.best, best_residual, lv, px);
        fresh = true;
        failures = 0;
        const NormalEquations e = normal_equations(J, best_residual);
        pose_search_propose(s, &e, px, o_.pose_search);
      } else {
        pose_search_propose(s, nullptr, px, o_.pose_search);
      }
    }
  }

  // Stage 1: every frame (training and validation) corrects its own camera, the Gaussians frozen. Level by level,
  // coarse to fine, each frame gets an equal share of `steps` (poses measured) per level.
  StageReport run_pose_stage(int steps, RefineResult& result) {
    const auto t0 = Clock::now();
    StageReport report;
    report.name = "pose";
    report.stop_reason = "settled";
    const std::vector<size_t>& frames = used_;
    const std::vector<FrameScore> start = frame_scores(frames);
    std::vector<FramePoseSearch> search(frames.size());
    for (size_t k = 0; k < frames.size(); ++k) search[k].delta = search[k].best = to_pose_vector(deltas_[int64_t(frames[k])]);
    const size_t levels = std::max<size_t>(1, o_.pose_blur.size());
    const int budget = std::max(1, int(std::ceil(double(steps) / double(levels))));
    Progress progress("refining cameras", int64_t(frames.size() * levels));
    std::vector<int> renders(frames.size());
    for (size_t l = 0; l < levels; ++l) {
      const ImageLevel& lv = pose_level(l);
      for (size_t k = 0; k < frames.size(); ++k) {
        const int renders_before = pose_renders_;
        if (l == 0 && search[k].best == PoseVector{}) shift_start(frames[k], search[k], lv);
        pose_search_new_level(search[k], o_.pose_search);
        align_frame(frames[k], search[k], lv, budget);
        renders[k] += pose_renders_ - renders_before;
        progress.advance();
      }
    }
    progress.finish();
    for (size_t k = 0; k < frames.size(); ++k) {
      deltas_[int64_t(frames[k])] = to_tensor(search[k].best);
      report.steps = std::max(report.steps, search[k].accepted + search[k].rejected);
      if (!search[k].settled) report.stop_reason = "steps";
    }
    check_pose_frames(frames, start, search, report, result);
    for (size_t k = 0; k < frames.size(); ++k) {
      FramePoseReport& f = result.pose_frames[result.pose_frames.size() - frames.size() + k];
      f.renders = renders[k];
    }
    report.time_s = seconds_since(t0);
    return report;
  }

  // End of the camera stage: a training frame whose full-resolution loss rose, or a validation frame whose PSNR
  // fell, goes back to the pose it had before the stage.
  void check_pose_frames(const std::vector<size_t>& frames, const std::vector<FrameScore>& start,
                         const std::vector<FramePoseSearch>& search, StageReport& report, RefineResult& result) {
    const std::vector<FrameScore> end = frame_scores(frames);
    const size_t num_train = train_.size();
    double loss_start = 0, loss_end = 0, val_start = 0, val_end = 0;
    for (size_t k = 0; k < frames.size(); ++k) {
      const bool validation = k >= num_train;
      FramePoseReport fr{frames[k], validation, start[k].loss, end[k].loss, start[k].psnr, end[k].psnr,
                         search[k].accepted, search[k].rejected, false};
      fr.reset = validation ? end[k].psnr < start[k].psnr : end[k].loss > start[k].loss;
      if (fr.reset) {
        deltas_[int64_t(frames[k])].zero_();
        fr.loss_end = start[k].loss;
        fr.psnr_end = start[k].psnr;
        ++report.frames_reset;
      }
      if (validation) {
        val_start += fr.psnr_start / double(o_.val.size());
        val_end += fr.psnr_end / double(o_.val.size());
      } else {
        loss_start += fr.loss_start / double(num_train);
        loss_end += fr.loss_end / double(num_train);
      }
      result.pose_frames.push_back(fr);
    }
    report.start_loss = loss_start;
    report.best_loss = loss_end;
    const bool has_val = !o_.val.empty();
    report.val_start = has_val ? val_start : kNaN;
    report.val_best = report.val_last = report.val_end = has_val ? val_end : kNaN;
  }

  // Stage 2: the chosen attributes of the Gaussians on the training frames, cameras at a fraction of their rate.
  StageReport run_gaussian_stage(int steps) {
    const auto t0 = Clock::now();
    StageReport report;
    report.name = "gaussians";
    report.stop_reason = "steps";
    report.val_start = report.val_best = report.val_last = report.val_end = kNaN;
    const std::array<bool, 6> attrs = trainable_attributes(o_.attrs);
    auto tensors = g_.tensors();
    for (size_t k = 0; k < 6; ++k) *tensors[k] = tensors[k]->detach().contiguous().requires_grad_(attrs[k]);
    const std::array<double, 6> base = optim::gaussian_rates(o_.lr, extent_);
    optim::Adam adam = optim::gaussian_adam(g_, base);
    // Moving Gaussians and cameras together: one camera stays fixed (the gauge). The corrections are a seventh group
    // with per-frame rates.
    const at::Tensor pose_lr = pose_rates(train_, o_.pose_lr_in_gs_stage, o_.attrs.xyz);
    const size_t pose_group = adam.add_group("camera_corrections", deltas_, 0, false);
    adam.set_lr_factors(pose_group, pose_lr);
    const bool poses = pose_lr.abs().sum().item<double>() > 0;
    const bool guard = !o_.val.empty();

    model::Gaussians best_g = g_.clone();
    at::Tensor best_deltas = deltas_.clone();
    double best_loss = std::numeric_limits<double>::infinity(), best_val = -std::numeric_limits<double>::infinity();
    int since_improvement = 0;
    const ImageLevel& lv = level(1);
    Progress progress("refining gaussians", steps);
    for (int step = 1; step <= steps; ++step) {
      const double rate = decay(step, steps);
      for (size_t k = 0; k < 6; ++k) adam.set_lr(k, rate * base[k]);
      adam.set_lr(pose_group, rate);
      at::Tensor deltas = deltas_.detach().clone().requires_grad_(poses);
      double loss = 0;
      for (size_t i : train_) {
        const at::Tensor vm = corrected_viewmat(viewmat_[i], deltas[int64_t(i)], pivot_[i]).to(at::kFloat);
        const at::Tensor l = frame_loss(i, vm, lv, (step - 1) % std::max(1, o_.realign_every) == 0);
        loss += l.item<double>() / double(train_.size());
        (l / double(train_.size())).backward();
      }
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
      std::vector<at::Tensor*> params = g_.tensors();
      params.push_back(&deltas);
      adam.step(params);
      deltas_ = deltas.detach();
      for (at::Tensor* t : g_.tensors()) t->mutable_grad() = at::Tensor();
      progress.advance();
    }
    progress.finish();
    g_ = best_g;
    deltas_ = best_deltas;
    if (guard) report.val_best = report.val_end = best_val;
    report.time_s = seconds_since(t0);
    return report;
  }

  const io::Dataset& ds_;
  const RefineOptions& o_;
  const model::Gaussians& init_;
  model::Gaussians g_;
  double extent_;
  std::vector<at::Tensor> viewmat_;  // input world-to-camera matrices (double)
  std::map<std::pair<int, double>, ImageLevel> levels_;  // by downscale factor and blur
  std::vector<size_t> used_;         // training frames, then validation frames
  std::vector<double> pivot_;        // per frame: depth of the correction's pivot
  std::vector<Alignment> alignment_;
  std::vector<size_t> train_;
  at::Tensor deltas_;  // (F, 6) camera corrections, double
  int pose_renders_ = 0;  // renders of the camera stage so far
  size_t reference_ = 0;
};

}  // namespace

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
