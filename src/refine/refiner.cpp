// The Refiner's set-up, cameras, scores and the run of its stages (refiner_impl.hpp).
#include <c10/core/GradMode.h>
#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "core/log.hpp"
#include "eval/metrics.hpp"
#include "loss/photometric.hpp"
#include "model/tensor_image.hpp"
#include "optim/schedule.hpp"
#include "refine/refiner_impl.hpp"
#include "render/scene_view.hpp"

namespace ttgs::refine {

PoseVector to_pose_vector(const at::Tensor& t) {
  const at::Tensor c = t.detach().to(at::kDouble).contiguous();
  PoseVector v;
  std::copy(c.data_ptr<double>(), c.data_ptr<double>() + 6, v.begin());
  return v;
}

at::Tensor to_tensor(const PoseVector& v) { return at::tensor(std::vector<double>(v.begin(), v.end()), at::kDouble); }

namespace {

// A detached deep copy of what refinement changes (the actor poses are replaced, never changed in place).
model::SceneModel clone_scene(const model::SceneModel& s) {
  model::SceneModel c = s;
  c.gaussians = s.gaussians.clone();
  if (s.environment.defined()) c.environment.logits = s.environment.logits.detach().clone();
  if (s.appearance.defined()) c.appearance = s.appearance.detach().clone();
  return c;
}

}  // namespace

Refiner::Refiner(const io::Dataset& ds, const model::SceneModel& init, const RefineOptions& o)
    : ds_(ds), o_(o), init_(init), scene_(clone_scene(init)), extent_(io::scene_extent(ds)),
      use_masks_(model::uses_masks(ds, init)) {
  const size_t n = ds.frames.size();
  viewmat_.resize(n);
  alignment_.resize(n);
  for (size_t i = 0; i < n; ++i) viewmat_[i] = render::viewmat_of(ds.frames[i].camera, at::kDouble);
  for (size_t i : ds.train)
    if (std::find(o.val.begin(), o.val.end(), i) == o.val.end()) train_.push_back(i);
  if (train_.empty()) throw InputError(ds.path, "no training frames left for refinement after taking out --val");
  used_ = train_;
  used_.insert(used_.end(), o.val.begin(), o.val.end());
  build_groups();
  compute_pivots();
  deltas_ = at::zeros({int64_t(n), 6}, at::kDouble);
  reference_ = o.reference_frame >= 0 ? size_t(o.reference_frame) : train_.front();
  if (scene_.dynamic()) actor_corrections_ = at::zeros({scene_.actors.num_actors(), scene_.actors.quaternion.size(1), 3});
}

// Rig mode on a time series: the frames of one timestamp (training and validation frames apart) share one
// correction; its first frame in `used_` order owns it. Frame mode, or static data: every frame on its own.
void Refiner::build_groups() {
  const bool rig = o_.pose_mode == PoseMode::kRig && ds_.is_time_series();
  owner_.assign(ds_.frames.size(), 0);
  relative_.assign(ds_.frames.size(), at::Tensor());
  std::map<std::pair<int, bool>, size_t> group_of;  // (timestamp, validation) -> group
  for (size_t k = 0; k < used_.size(); ++k) {
    const size_t i = used_[k];
    const bool val = k >= train_.size();
    const std::pair<int, bool> key{ds_.frames[i].time_index, val};
    const auto it = rig ? group_of.find(key) : group_of.end();
    if (it == group_of.end()) {
      if (rig) group_of[key] = groups_.size();
      groups_.push_back({i});
      group_is_val_.push_back(val);
      owner_[i] = i;
      continue;
    }
    const size_t owner = groups_[it->second].front();
    groups_[it->second].push_back(i);
    owner_[i] = owner;
    relative_[i] = at::matmul(viewmat_[i], at::inverse(viewmat_[owner]));
  }
}

// Pivot of each group's correction: the median depth of what the input model shows in its owner frame.
void Refiner::compute_pivots() {
  c10::NoGradGuard no_grad;
  pivot_.assign(ds_.frames.size(), 0.0);
  for (const std::vector<size_t>& g : groups_) {
    const size_t i = g.front();
    const Camera c = ds_.frames[i].camera.downscaled(4);
    const render::RenderResult r = render::render_view(scene_, ds_, i, c, {});
    const at::Tensor covered = r.alpha > 0.5;
    if (covered.sum().item<int64_t>() == 0) continue;
    pivot_[i] = (r.depth / r.alpha.clamp_min(1e-6)).masked_select(covered).median().item<double>();
  }
}

const ImageLevel& Refiner::level(int factor, double blur, LevelMasks masks) {
  ImageLevel& l = levels_[{factor, blur, masks}];
  if (l.blurred.empty()) l = make_image_level(ds_, used_, factor, blur, masks);
  return l;
}

at::Tensor Refiner::frame_viewmat(size_t i, const at::Tensor& owner_delta) const {
  const size_t o = owner_[i];
  const at::Tensor corrected = corrected_viewmat(viewmat_[o], owner_delta, pivot_[o]);
  return relative_[i].defined() ? at::matmul(relative_[i], corrected) : corrected;
}

Camera Refiner::camera(size_t i) const {
  c10::NoGradGuard no_grad;
  return render::with_viewmat(ds_.frames[i].camera, frame_viewmat(i, deltas_[int64_t(owner_[i])]));
}

render::RenderResult Refiner::render_frame(size_t i, const at::Tensor& viewmat, const render::Intrinsics& k) const {
  return render::render_view(scene_, ds_, i, viewmat, k, {});
}

eval::EvalReport Refiner::evaluate(const std::vector<size_t>& frames) const {
  io::Dataset view = io::without_pixels(ds_);  // the frames with their current cameras
  for (size_t i : frames) {
    view.frames[i].camera = camera(i);
    view.frames[i].image = ds_.frames[i].image;
    view.frames[i].mask = ds_.frames[i].mask;
  }
  return eval::evaluate(scene_, view, frames, {});
}

// Full-resolution loss and PSNR of each frame with its current camera. The PSNR is computed exactly as
// eval::evaluate computes it (same rendering, clamping and mask), so it agrees with the report to the bit.
std::vector<FrameScore> Refiner::frame_scores(const std::vector<size_t>& frames, bool with_loss) {
  c10::NoGradGuard no_grad;
  std::vector<FrameScore> scores;
  for (size_t i : frames) {
    const io::Frame& f = ds_.frames[i];  // the float photo eval::evaluate reads, not the 8-bit cache
    const at::Tensor photo = model::to_tensor(f.image);
    const at::Tensor mask = f.mask && use_masks_ ? model::to_tensor(*f.mask) : at::Tensor();
    const Camera c = camera(i);
    const at::Tensor rgb = render::render_view(scene_, ds_, i, c, {}).rgb.clamp(0, 1);
    const double loss = with_loss ? loss::masked_photometric(rgb, photo, mask, o_.ssim_lambda).item<double>() : 0.0;
    scores.push_back({loss, eval::psnr(rgb, photo, mask)});
  }
  return scores;
}

double mean_psnr(const std::vector<FrameScore>& scores) {
  double mean = 0;
  for (const FrameScore& s : scores) mean += s.psnr / double(scores.size());
  return mean;
}

double Refiner::validation_psnr() { return mean_psnr(frame_scores(o_.val, false)); }

// Adam step sizes (F, 6) of the training groups' corrections: rotation then translation; other rows are frozen.
at::Tensor Refiner::pose_rates(double factor, bool pin_reference) const {
  at::Tensor lr = at::zeros({int64_t(ds_.frames.size()), 6}, at::kDouble);
  for (size_t g = 0; g < groups_.size(); ++g) {
    const size_t i = groups_[g].front();
    if (group_is_val_[g] || (pin_reference && i == owner_[reference_])) continue;
    if (g < registered_.size() && registered_[g]) continue;  // registered on LiDAR: photometric drift only hurts it
    lr[int64_t(i)].slice(0, 0, 3).fill_(factor * o_.lr_pose_rotation);
    lr[int64_t(i)].slice(0, 3, 6).fill_(factor * o_.lr_pose_translation * extent_);
  }
  return lr;
}

double Refiner::decay(int step, int steps) const {  // exponential, from 1 at the first step to lr_final_fraction
  return optim::exponential_decay(1.0, o_.lr_final_fraction, step - 1, std::max(1, steps - 1));
}

void Refiner::restore_input(RefineResult& result) {
  warn("refine: the held-out views got worse; the input model and cameras are kept");
  scene_ = clone_scene(init_);
  deltas_.zero_();
  if (actor_corrections_.defined()) actor_corrections_.zero_();
  result.restored_input = true;
  result.after_train = result.before_train;
  result.after_val = result.before_val;
}

RefineResult Refiner::run() {
  const auto t0 = Clock::now();
  RefineResult result;
  result.train = train_;
  result.before_train = evaluate(train_);
  if (!o_.val.empty()) result.before_val = evaluate(o_.val);
  if (o_.stage_pose && o_.steps_pose > 0) result.stages.push_back(run_pose_stage(o_.steps_pose, result));
  if (o_.stage_actors && o_.steps_actors > 0 && scene_.dynamic()) result.stages.push_back(run_actor_stage(o_.steps_actors));
  const int steps_gs = gaussian_stage_steps(o_, train_.size());
  if (o_.stage_gs && steps_gs > 0) result.stages.push_back(run_gaussian_stage(steps_gs));
  result.after_train = evaluate(train_);
  if (!o_.val.empty()) {
    result.after_val = evaluate(o_.val);
    if (result.after_val.psnr < result.before_val.psnr) restore_input(result);  // never worse on held-out views
  }
  for (size_t i = 0; i < ds_.frames.size(); ++i) result.cameras.push_back(camera(i));
  for (size_t i = 0; i < alignment_.size(); ++i)
    if (alignment_[i].ok)
      result.depth.push_back({i, alignment_[i].scale, alignment_[i].shift, alignment_[i].inlier_fraction,
                              alignment_[i].sky_fraction});
  for (at::Tensor* t : scene_.gaussians.tensors()) *t = t->detach();
  if (scene_.environment.defined()) scene_.environment.logits = scene_.environment.logits.detach();
  if (scene_.appearance.defined()) scene_.appearance = scene_.appearance.detach();
  result.scene = scene_;
  result.gaussians = scene_.gaussians;
  result.actor_corrections = actor_corrections_;
  result.time_s = seconds_since(t0);
  return result;
}

size_t gaussian_frames_per_step(const RefineOptions& o, size_t train_frames) {
  return o.frames_per_step > 0 ? std::min(size_t(o.frames_per_step), train_frames) : train_frames;
}

int gaussian_steps_for_passes(const RefineOptions& o, size_t train_frames, int passes) {
  const size_t per_step = std::max<size_t>(1, gaussian_frames_per_step(o, train_frames));
  return int((size_t(passes) * train_frames + per_step - 1) / per_step);
}

int gaussian_stage_steps(const RefineOptions& o, size_t train_frames) {
  if (o.steps_gs != RefineOptions::kPassSteps) return o.steps_gs;
  return gaussian_steps_for_passes(o, train_frames, RefineOptions::kGaussianPasses);
}

RefineResult refine(const io::Dataset& ds, const model::SceneModel& init, const RefineOptions& o) {
  if (o.steps_pose < 0 || o.steps_actors < 0 || (o.steps_gs < 0 && o.steps_gs != RefineOptions::kPassSteps))
    throw InputError("--steps-pose/--steps-actors/--steps-gs", "must not be negative");
  if (o.frames_per_step < 0) throw InputError("--frames-per-step", "must not be negative");
  if (o.patience < 1) throw InputError("--patience", "must be at least 1");
  if (init.gaussians.size() == 0) throw InputError(ds.path, "the initial model has no Gaussians");
  for (size_t i : o.val)
    if (i >= ds.frames.size()) throw std::invalid_argument("refine: validation frame out of range");
  for (const at::Tensor& p : o.depth_priors)
    if (p.defined() && p.dim() != 2) throw std::invalid_argument("refine: depth priors must be (H, W)");
  return Refiner(ds, init, o).run();
}

RefineResult refine(const io::Dataset& ds, const model::Gaussians& init, const RefineOptions& o) {
  return refine(ds, model::static_scene(init), o);
}

}  // namespace ttgs::refine
