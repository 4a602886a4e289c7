// The camera stage (refiner_impl.hpp): every camera group (a timestamp's cameras in rig mode, else one frame)
// finds its correction by Levenberg-Marquardt on its frames' image residuals, coarse to fine, with everything else
// frozen.
#include <c10/core/GradMode.h>
#include <algorithm>
#include <cmath>

#include "core/progress.hpp"
#include "model/scene_init.hpp"
#include "refine/refiner_impl.hpp"

namespace ttgs::refine {

// Level k of the coarse-to-fine schedule: the images blurred by pose_blur[k] (a Gaussian of that sigma, as a
// fraction of the image's smaller side). A level is downscaled by the largest power of two that keeps the blur at
// 1.5 pixels or more and the smaller side at pyramid_min_size or more; the rest of the blur is applied at that
// resolution (a box downscale by f blurs by about 0.29 f).
std::pair<int, double> Refiner::schedule(size_t k) const {
  return blur_level(k < o_.pose_blur.size() ? o_.pose_blur[k] : 0.0);
}

std::pair<int, double> Refiner::blur_level(double blur_fraction) const {
  const Camera& any = ds_.frames[used_.front()].camera;
  const int side = std::min(any.width, any.height);
  const double sigma = blur_fraction * side;  // full-resolution pixels
  int factor = 1;
  while (sigma / (2 * factor) >= 1.5 && side / (2 * factor) >= o_.pyramid_min_size) factor *= 2;
  const double rest = std::sqrt(std::max(0.0, sigma * sigma - 0.083 * factor * factor)) / factor;
  return {factor, rest >= 0.3 ? rest : 0.0};
}

const ImageLevel& Refiner::schedule_level(size_t k) {
  const auto [factor, blur] = schedule(k);
  return pose_level(factor, blur);
}

// Frame i seen with its group's correction, rendered at twice the level's resolution and reduced as the level's
// photos were (box downscale, then blur): a render at the level's own resolution would point-sample fine texture
// (aliasing the blur cannot undo); at twice it, each level pixel averages four samples and the coarse levels cost a
// fraction of a full-size render. Full size at the two finest levels, and for frames with a depth prior (aligned
// on the full-size depth).
Refiner::LevelRender Refiner::level_render(size_t i, const PoseVector& owner_delta, const ImageLevel& lv) {
  c10::NoGradGuard no_grad;
  const at::Tensor vm = frame_viewmat(i, to_tensor(owner_delta));
  const bool depth_prior = i < o_.depth_priors.size() && o_.depth_priors[i].defined();
  const int render_factor = lv.factor <= 2 || depth_prior ? 1 : lv.factor / 2;
  const render::Intrinsics k = render_factor == 1 ? pose_level(1).intrinsics[i]
                                                  : render::intrinsics_of(ds_.frames[i].camera.downscaled(render_factor));
  LevelRender out{render_frame(i, vm, k), {}};
  ++pose_renders_;
  const at::Tensor reduced = downscale_mean(out.rendered.rgb, lv.factor / render_factor);
  out.image = (lv.blur > 0 ? gaussian_blur(reduced, lv.blur) : reduced).contiguous();
  return out;
}

// Frame i's residual as one vector whose squared norm is its cost: (rendered - photo) at the level over the valid
// pixels, scaled to the mean squared error; with a depth prior, the disparity residual (full resolution) on the
// inliers, relative to the mean disparity, weighted by depth_weight.
at::Tensor Refiner::pose_residual(size_t i, const LevelRender& seen, const ImageLevel& lv, bool realign) {
  c10::NoGradGuard no_grad;
  at::Tensor res = seen.image - lv.blurred[i];
  if (const at::Tensor mask = pose_mask(i, lv); mask.defined()) res = res * mask;  // masked pixels: no residual
  res = res.flatten() / std::sqrt(double(res.numel()));
  if (i < o_.depth_priors.size() && o_.depth_priors[i].defined()) {
    const render::RenderResult& r = seen.rendered;
    Alignment& a = alignment_[i];
    if (realign || !a.ok || a.factor != 1) align_depth(i, r, pose_level(1), 1);
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

// Scenes with a distant region (an environment map): what the model's Gaussians cover at each frame's input pose.
// Pixels they do not cover (no points were there: the tops of buildings beyond the LiDAR's reach, say) show the
// crude distant region, hold no information about the pose and would pull it towards hiding them. Without an
// environment map the background is known (the render settings'), and uncovered pixels are the silhouette's
// evidence: all pixels count.
void Refiner::measure_coverage() {
  c10::NoGradGuard no_grad;
  coverage_.assign(ds_.frames.size(), at::Tensor());
  pose_masks_.clear();
  if (!scene_.environment.defined()) return;
  for (size_t i : used_) {
    const at::Tensor vm = frame_viewmat(i, deltas_[int64_t(owner_[i])]).to(at::kFloat);
    coverage_[i] = (render_frame(i, vm, pose_level(1).intrinsics[i]).alpha > 0.5).to(at::kFloat);
  }
}

namespace {

Pose to_pose(const at::Tensor& rigid_matrix) {  // (4, 4)
  const at::Tensor d = rigid_matrix.to(at::kDouble).contiguous();
  Mat4 m{};
  for (size_t r = 0; r < 4; ++r)
    for (size_t c = 0; c < 4; ++c) m[r][c] = d.data_ptr<double>()[r * 4 + c];
  return Pose::from_matrix(m);
}

}  // namespace

// Every group's correction registered on the static LiDAR returns (point_registration.hpp), coarse to fine; the
// reference frame's group stays. Marks the groups registered (those with points in view) in registered_.
void Refiner::register_on_lidar_points() {
  const PointCloud cloud = model::static_lidar_points(ds_);  // as ttgs init takes them
  std::vector<Vec3> points(cloud.size());
  for (size_t k = 0; k < cloud.size(); ++k)
    points[k] = {cloud.positions[3 * k], cloud.positions[3 * k + 1], cloud.positions[3 * k + 2]};
  if (points.empty()) return;
  std::vector<RegistrationGroup> groups(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g) {
    const size_t o = groups_[g].front();
    groups[g].owner_viewmat = to_pose(viewmat_[o]);
    groups[g].pivot = pivot_[o];
    groups[g].delta = to_pose_vector(deltas_[int64_t(o)]);
    groups[g].fixed = o == owner_[reference_];
  }
  const std::vector<double>& blurs = o_.point_registration.blur;
  Progress progress("registering cameras on LiDAR", int64_t(blurs.size()));
  for (size_t l = 0; l < blurs.size(); ++l) {
    const auto [factor, blur] = blur_level(blurs[l]);
    const ImageLevel& lv = pose_level(factor, blur);
    std::vector<RegistrationPhoto> photos;
    std::vector<at::Tensor> held;  // keeps the pixels the photos point to
    for (size_t g = 0; g < groups_.size(); ++g) {
      groups[g].pixels_per_unit = pixels_per_unit(groups_[g].front(), lv);
      for (size_t i : groups_[g]) photos.push_back(registration_photo(i, g, lv, held));
    }
    PointRegistrationOptions o = o_.point_registration;
    if (l + 1 == blurs.size()) o.iterations = o.final_iterations;
    register_on_points(points, photos, groups, o);
    progress.advance();
  }
  progress.finish();
  registered_.assign(groups_.size(), false);
  for (size_t g = 0; g < groups_.size(); ++g) {
    deltas_[int64_t(groups_[g].front())] = to_tensor(groups[g].delta).to(deltas_.scalar_type());
    registered_[g] = groups[g].residuals > 0 || groups[g].fixed;
  }
}

// Frame i of group g at a level, as the registration reads it (its pixels kept alive in `held`).
RegistrationPhoto Refiner::registration_photo(size_t i, size_t g, const ImageLevel& lv, std::vector<at::Tensor>& held) {
  RegistrationPhoto ph;
  held.push_back(lv.blurred[i].to(at::kFloat).contiguous());
  ph.rgb = held.back().data_ptr<float>();
  ph.height = int(held.back().size(0));
  ph.width = int(held.back().size(1));
  if (const at::Tensor m = lv.mask(i); m.defined()) {
    held.push_back(m.to(at::kFloat).contiguous());
    ph.mask = held.back().data_ptr<float>();
  }
  const render::Intrinsics& k = lv.intrinsics[i];
  ph.fx = k.fx, ph.fy = k.fy, ph.cx = k.cx, ph.cy = k.cy;
  if (relative_[i].defined()) ph.relative = to_pose(relative_[i]);
  ph.group = g;
  ph.colours_points = !group_is_val_[g];
  return ph;
}

// The camera stage's mask of frame i at a level: the level's (static scene) mask and the model's coverage, both
// reduced by block minimum. Undefined: every pixel counts.
at::Tensor Refiner::pose_mask(size_t i, const ImageLevel& lv) {
  at::Tensor& m = pose_masks_[{i, lv.factor}];
  if (m.defined()) return m;
  const at::Tensor level_mask = lv.mask(i);
  if (i >= coverage_.size() || !coverage_[i].defined()) return m = level_mask;
  const at::Tensor nchw = coverage_[i].permute({2, 0, 1}).unsqueeze(0);
  at::Tensor c = lv.factor > 1 ? -at::max_pool2d(-nchw, {lv.factor, lv.factor}) : nchw;
  c = c.squeeze(0).permute({1, 2, 0}).slice(0, 0, lv.blurred[i].size(0)).slice(1, 0, lv.blurred[i].size(1));
  return m = (level_mask.defined() ? level_mask * c : c).contiguous();
}

// Group g's residual: its frames' residuals one after another (cost: the sum of theirs).
at::Tensor Refiner::group_residual(size_t g, const PoseVector& delta, const ImageLevel& lv, bool realign) {
  std::vector<at::Tensor> parts;
  for (size_t i : groups_[g]) parts.push_back(pose_residual(i, level_render(i, delta, lv), lv, realign));
  return parts.size() == 1 ? parts.front() : at::cat(parts);
}

// Before the coarsest level: the owner frame's best whole-image shift between its render and its photo (searched
// over ±12% of the level's width), turned into a rotation about the camera centre, becomes the group's start when
// that lowers the group's cost. A global search: a start 2° and 5% off is mostly a shift, and the shift is found
// whatever local minima fine or periodic texture leaves in the cost.
void Refiner::shift_start(size_t g, FramePoseSearch& s, const ImageLevel& lv) {
  c10::NoGradGuard no_grad;
  const size_t i = groups_[g].front();
  const LevelRender current = level_render(i, s.best, lv);
  const at::Tensor& moving = current.image;
  const at::Tensor fixed = lv.blurred[i].contiguous();
  const int h = int(fixed.size(0)), w = int(fixed.size(1));
  const at::Tensor mask = pose_mask(i, lv);
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
  const double before = group_residual(g, s.best, lv, true).square().sum().item<double>();
  const double after = group_residual(g, candidate, lv, false).square().sum().item<double>();
  if (after < before) s.delta = s.best = candidate;
}

// Image motion (pixels at this level) of a unit change of each pose component: rotations and shifts seen at the
// frame's pivot depth. Bounds the steps and sets the finite-difference steps.
PoseVector Refiner::pixels_per_unit(size_t i, const ImageLevel& lv) const {
  const double fx = std::max(lv.intrinsics[i].fx, lv.intrinsics[i].fy);
  const double depth = pivot_[i] > 0 ? pivot_[i] : extent_;
  return {fx, fx, fx, fx / depth, fx / depth, fx / depth};
}

namespace {

// The Jacobian (P, 6) of a residual at `delta`, by forward differences; components that do not move the image
// (pixels_per_unit 0: not searched) get zero columns.
at::Tensor jacobian(const ResidualFn& residual_at, const PoseVector& delta, const at::Tensor& residual,
                    const PoseVector& px, double step_px) {
  std::vector<at::Tensor> columns;
  for (size_t k = 0; k < 6; ++k) {
    if (!(px[k] > 0)) {
      columns.push_back(at::zeros_like(residual));
      continue;
    }
    PoseVector moved = delta;
    const double h = step_px / px[k];
    moved[k] += h;
    columns.push_back((residual_at(moved, false) - residual) / h);
  }
  return at::stack(columns, 1);
}

NormalEquations normal_equations(const at::Tensor& J, const at::Tensor& residual) {
  const at::Tensor jtj = at::matmul(J.t(), J).contiguous(), jtr = at::matmul(J.t(), residual).contiguous();
  NormalEquations e;
  std::copy(jtj.data_ptr<double>(), jtj.data_ptr<double>() + 36, e.jtj.begin());
  std::copy(jtr.data_ptr<double>(), jtr.data_ptr<double>() + 6, e.jtr.begin());
  return e;
}

}  // namespace

// Levenberg-Marquardt until the search settles or has measured `budget` poses. The Jacobian is measured by finite
// differences at the first pose and whenever a step from a stale one fails; after an accepted step it is updated by
// Broyden's rank-one rule (secant condition J·d = Δr, d weighted by image motion), so most steps cost one
// residual instead of seven.
void search_pose(FramePoseSearch& s, const ResidualFn& residual_at, const PoseVector& px, int budget,
                 const PoseSearchOptions& o) {
  const at::Tensor w = at::tensor(std::vector<double>(px.begin(), px.end()), at::kDouble).square();
  at::Tensor J, best_residual;
  bool fresh = false;
  int failures = 0;  // undone steps in a row
  for (int m = 0; m < budget && !s.settled; ++m) {
    const PoseVector previous = s.best;
    const at::Tensor residual = residual_at(s.delta, m == 0);
    if (pose_search_measure(s, residual.square().sum().item<double>(), o)) {
      if (!J.defined()) {
        J = jacobian(residual_at, s.best, residual, px, o.jacobian_step_px);
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
      pose_search_propose(s, &e, px, o);
    } else if (!fresh && J.defined() && ++failures >= 2) {
      J = jacobian(residual_at, s.best, best_residual, px, o.jacobian_step_px);
      fresh = true;
      failures = 0;
      const NormalEquations e = normal_equations(J, best_residual);
      pose_search_propose(s, &e, px, o);
    } else {
      pose_search_propose(s, nullptr, px, o);
    }
  }
}

// One camera group at one level.
void Refiner::align_group(size_t g, FramePoseSearch& s, const ImageLevel& lv, int budget) {
  const ResidualFn residual_at = [&](const PoseVector& delta, bool first) {
    return group_residual(g, delta, lv, first);
  };
  search_pose(s, residual_at, pixels_per_unit(groups_[g].front(), lv), budget, o_.pose_search);
}

// Every group (training and validation) corrects its cameras, everything else frozen. Level by level, coarse to
// fine, each group gets an equal share of `steps` (poses measured) per level.
StageReport Refiner::run_pose_stage(int steps, RefineResult& result) {
  const auto t0 = Clock::now();
  StageReport report;
  report.name = "pose";
  report.stop_reason = "settled";
  const std::vector<FrameScore> start = frame_scores(used_);
  registered_.assign(groups_.size(), false);
  if (o_.lidar_registration && !ds_.lidar.empty()) register_on_lidar_points();
  const bool search_renders = std::find(registered_.begin(), registered_.end(), false) != registered_.end();
  if (search_renders) measure_coverage();
  std::vector<FramePoseSearch> search(groups_.size());
  for (size_t g = 0; g < groups_.size(); ++g)
    search[g].delta = search[g].best = to_pose_vector(deltas_[int64_t(groups_[g].front())]);
  const size_t levels = std::max<size_t>(1, o_.pose_blur.size());
  const int budget = std::max(1, int(std::ceil(double(steps) / double(levels))));
  Progress progress("refining cameras", int64_t(groups_.size() * levels));
  std::vector<int> renders(groups_.size());
  for (size_t l = 0; l < levels && search_renders; ++l) {
    const ImageLevel& lv = schedule_level(l);
    for (size_t g = 0; g < groups_.size(); ++g) {
      if (!registered_[g]) {  // registered on LiDAR: a crude model's render would pull it off again
        const int renders_before = pose_renders_;
        if (l == 0 && search[g].best == PoseVector{}) shift_start(g, search[g], lv);
        pose_search_new_level(search[g], o_.pose_search);
        align_group(g, search[g], lv, budget);
        renders[g] += pose_renders_ - renders_before;
      }
      progress.advance();
    }
  }
  progress.finish();
  for (size_t g = 0; g < groups_.size(); ++g) {
    deltas_[int64_t(groups_[g].front())] = to_tensor(search[g].best);
    report.steps = std::max(report.steps, search[g].accepted + search[g].rejected);
    if (!search[g].settled) report.stop_reason = "steps";
  }
  const size_t first = result.pose_frames.size();
  check_pose_groups(start, report, result);
  for (size_t k = first; k < result.pose_frames.size(); ++k) {
    FramePoseReport& f = result.pose_frames[k];
    for (size_t g = 0; g < groups_.size(); ++g)
      if (groups_[g].front() == owner_[f.frame]) {
        f.accepted = search[g].accepted;
        f.rejected = search[g].rejected;
        f.renders = renders[g] / int(groups_[g].size());
        f.registered = registered_[g] && !f.reset;
      }
  }
  report.time_s = seconds_since(t0);
  return report;
}

// End of the camera stage: a training group whose full-resolution loss rose on any of its cameras, or a validation
// group whose PSNR fell on any of its cameras, goes back to the pose it had before the stage. `start`: the scores of
// used_ before the stage.
void Refiner::check_pose_groups(const std::vector<FrameScore>& start, StageReport& report, RefineResult& result) {
  const std::vector<FrameScore> end = frame_scores(used_);
  std::map<size_t, size_t> position;  // frame -> index in used_
  for (size_t k = 0; k < used_.size(); ++k) position[used_[k]] = k;
  std::vector<bool> reset(ds_.frames.size(), false);
  for (size_t g = 0; g < groups_.size(); ++g) {
    // A rig's correction is shared: one that serves some of its cameras at another's cost is not the rig's motion
    // but the model's errors (a crude start's, say). Seen on a LiDAR start: such corrections turned rigs 2-3 deg.
    // (No camera worse implies the group's sum is not worse either.)
    // A group registered on LiDAR agrees with the other photos on the static returns, which says more than a crude
    // model's render: only the held-out rule applies to it.
    if (registered_[g] && !group_is_val_[g]) continue;
    bool one_worse = false;
    for (size_t i : groups_[g]) {
      const size_t k = position[i];
      const double before = group_is_val_[g] ? -start[k].psnr : start[k].loss;
      const double after = group_is_val_[g] ? -end[k].psnr : end[k].loss;
      one_worse = one_worse || !(after <= before);  // a non-finite score counts as worse
    }
    if (!one_worse) continue;
    deltas_[int64_t(groups_[g].front())].zero_();
    for (size_t i : groups_[g]) reset[i] = true;
    report.frames_reset += int(groups_[g].size());
  }
  const size_t num_train = train_.size();
  double loss_start = 0, loss_end = 0, val_start = 0, val_end = 0;
  for (size_t k = 0; k < used_.size(); ++k) {
    const bool validation = k >= num_train;
    const size_t i = used_[k];
    FramePoseReport fr{i, validation, start[k].loss, end[k].loss, start[k].psnr, end[k].psnr, 0, 0, 0, reset[i]};
    if (fr.reset) {
      fr.loss_end = start[k].loss;
      fr.psnr_end = start[k].psnr;
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

}  // namespace ttgs::refine
