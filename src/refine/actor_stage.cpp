// The actor stage (refiner_impl.hpp): each actor's box pose at each timestamp — a shift along the box's x and y
// axes and a turn about its z axis — with the Gaussians, the cameras and the other actors frozen, in four steps:
// 1. where LiDAR returns lie on a face of the box the sensor sees, the box is fitted to them (box_registration.hpp);
// 2. elsewhere, Levenberg-Marquardt (pose_search.hpp) on the image residual around the box, coarse to fine with the
//    camera stage's blur schedule, with a prior that keeps weakly seen boxes in place. An actor at a timestamp only
//    changes that timestamp's frames, and only inside its box's rectangle there, so each (actor, timestamp) is
//    searched on its own crops, rendered from the model less the static Gaussians that cannot reach them; a pose
//    whose full-resolution residual ended higher than at the input goes back to the input;
// 3. each actor's track is smoothed over time (track_smoothing.hpp), the fitted boxes as sharp samples;
// 4. each actor's Gaussians take the inverse of its mean correction (a shared correction is a box convention);
// 5. a held-out timestamp whose PSNR fell gets its rendering back.
// Held-out timestamps are corrected on their own returns and images like their cameras; their pixels never reach
// the Gaussians.
#include <c10/core/GradMode.h>
#include <cmath>
#include <map>
#include <set>

#include "core/progress.hpp"
#include "eval/regions.hpp"
#include "refine/box_registration.hpp"
#include "refine/track_smoothing.hpp"
#include "refine/refiner_impl.hpp"
#include "render/scene_view.hpp"

namespace ttgs::refine {

// One actor at one timestamp, and the frames that see its box.
struct ActorJob {
  int64_t actor = 0, time = 0;
  bool validation = false;
  std::vector<size_t> frames;
  std::vector<eval::PixelRect> crops;  // per frame: the box's rectangle at the stage's input, grown, full resolution
  double shift_px = 0, yaw_px = 0;     // image motion at full resolution of a unit shift (scene unit) and turn (rad)
  double length = 0;                   // the box's larger horizontal side
  bool lidar = false;                  // registered on LiDAR returns (box_registration.hpp): no image search
  FramePoseSearch search;              // components 0-2: dx, dy, dyaw; 3-5 unused
  double cost_start = 0, cost_end = 0;  // full resolution, at the input pose and at the end
};

namespace {

constexpr double kMinCropPx = 8;  // a box seen smaller than this (full-resolution pixels) does not count
// LiDAR returns taken as the actor's: within this margin (scene units) of its box sideways and above, and more than
// kGroundCut above its bottom (the road under it).
constexpr double kReturnMargin = 0.5, kGroundCut = 0.2;
// A box fitted to its LiDAR returns, as a sample of its track: 1-sigma shift and turn.
constexpr double kFitSigmaShift = 0.05, kFitSigmaYaw = 0.01;
constexpr size_t kMinFitsForSmoothing = 5;  // fewer: the boxes' own error is not known, the tracks stay as they are
// Image search prior: a correction of kPriorShift box lengths (shift) or kPriorYaw radians costs kPriorWeight times
// the level's cost at the input pose. Keeps a weakly seen box (far away, moving along the line of sight) in place.
constexpr double kPriorShift = 0.1, kPriorYaw = 0.087, kPriorWeight = 0.1;

// The rectangle grown by a quarter of its larger side and 8 pixels each way (room for the search to move the box),
// clamped to the image; none when too small.
std::optional<eval::PixelRect> grown_crop(const eval::PixelRect& r, const Camera& c) {
  const double grow = 0.25 * std::max(r.x1 - r.x0, r.y1 - r.y0) + 8;
  const eval::PixelRect g{std::max(0.0, r.x0 - grow), std::max(0.0, r.y0 - grow), std::min(double(c.width), r.x1 + grow),
                          std::min(double(c.height), r.y1 + grow)};
  if (g.x1 - g.x0 < kMinCropPx || g.y1 - g.y0 < kMinCropPx) return std::nullopt;
  return g;
}

struct LevelCrop {
  int64_t x0, y0, x1, y1;  // compared pixels, at the level
  int64_t pad;             // rendered beyond them on each side, so that the blur's edges do not reach them
};

LevelCrop level_crop(const eval::PixelRect& r, const ImageLevel& lv, size_t frame) {
  const int64_t h = lv.blurred[frame].size(0), w = lv.blurred[frame].size(1);
  LevelCrop c;
  c.x0 = std::clamp<int64_t>(int64_t(std::floor(r.x0 / lv.factor)), 0, w);
  c.x1 = std::clamp<int64_t>(int64_t(std::ceil(r.x1 / lv.factor)), c.x0, w);
  c.y0 = std::clamp<int64_t>(int64_t(std::floor(r.y0 / lv.factor)), 0, h);
  c.y1 = std::clamp<int64_t>(int64_t(std::ceil(r.y1 / lv.factor)), c.y0, h);
  c.pad = lv.blur > 0 ? int64_t(std::ceil(3 * lv.blur)) + 1 : 0;
  return c;
}

}  // namespace

// The (actor, timestamp) pairs some used frame sees, with their crops at the current cameras and poses.
std::vector<ActorJob> Refiner::actor_jobs() const {
  c10::NoGradGuard no_grad;
  const std::vector<io::ActorTrack> tracks = model::tracks_of(scene_.actors, ds_.actors);
  std::map<std::pair<int64_t, int64_t>, ActorJob> jobs;
  for (size_t k = 0; k < used_.size(); ++k) {
    const size_t i = used_[k];
    const Camera cam = camera(i);
    const int t = ds_.frames[i].time_index;
    for (size_t a = 0; a < tracks.size(); ++a) {
      const std::optional<Pose> pose = tracks[a].pose_at(t);
      if (!pose) continue;
      const std::optional<eval::PixelRect> rect = eval::box_rect(cam, *pose, 0.5 * tracks[a].size);
      const std::optional<eval::PixelRect> crop = rect ? grown_crop(*rect, cam) : std::nullopt;
      if (!crop) continue;
      ActorJob& job = jobs[{int64_t(a), t}];
      job.actor = int64_t(a);
      job.time = t;
      job.validation = k >= train_.size();
      job.frames.push_back(i);
      job.crops.push_back(*crop);
      const double depth = std::max(0.5, cam.world_to_camera(pose->translation)[2]);
      const double length = 0.5 * std::max(tracks[a].size[0], tracks[a].size[1]);
      job.shift_px = std::max(job.shift_px, cam.fx / depth);
      job.yaw_px = std::max(job.yaw_px, cam.fx * length / depth);
      job.length = 2 * length;
    }
  }
  std::vector<ActorJob> out;
  for (auto& [key, job] : jobs) out.push_back(std::move(job));
  return out;
}

// Actors with LiDAR returns on their box's faces at a timestamp: their pose there fitted to the returns
// (box_registration.hpp) instead of searched in the images; those jobs are marked `lidar`.
void Refiner::register_on_lidar(std::vector<ActorJob>& jobs, at::Tensor& corrections) const {
  if (ds_.lidar.empty()) return;
  const std::vector<io::ActorTrack> tracks = model::tracks_of(scene_.actors, ds_.actors);
  for (ActorJob& job : jobs) {
    const io::ActorTrack& track = tracks[size_t(job.actor)];
    const std::optional<Pose> pose = track.pose_at(int(job.time));
    if (!pose) continue;
    const Pose to_box = pose->inverse();
    const Vec3 h = 0.5 * track.size;
    std::vector<Vec3> returns;
    Vec3 sensor{0, 0, 0};
    for (const io::LidarSweep& sweep : ds_.lidar) {
      if (sweep.time_index != job.time) continue;
      sensor = to_box.apply(sweep.origin);
      for (size_t k = 0; k < sweep.size(); ++k) {
        const Vec3 p = to_box.apply({sweep.points[3 * k], sweep.points[3 * k + 1], sweep.points[3 * k + 2]});
        if (std::abs(p[0]) <= h[0] + kReturnMargin && std::abs(p[1]) <= h[1] + kReturnMargin &&
            p[2] >= -h[2] + kGroundCut && p[2] <= h[2] + kReturnMargin)
          returns.push_back(p);
      }
    }
    const std::optional<BoxCorrection> c = fit_box(returns, sensor, h);
    if (!c) continue;
    job.lidar = true;
    job.search.best = {c->dx, c->dy, c->dyaw, 0, 0, 0};
    for (int64_t k = 0; k < 3; ++k) corrections[job.actor][job.time][k] = job.search.best[size_t(k)];
  }
}

// Every actor's track smoothed over time (track_smoothing.hpp): poses fitted to LiDAR returns as sharp samples, the
// others as uncertain as the boxes themselves, measured by the fits (the RMS of their corrections). Every tracked
// timestamp moves, seen or not.
void Refiner::smooth_tracks(const std::vector<ActorJob>& jobs, const model::ActorPoses& start,
                            at::Tensor& corrections) const {
  std::set<std::pair<int64_t, int64_t>> fitted;
  double shift2 = 0, yaw2 = 0;
  for (const ActorJob& job : jobs)
    if (job.lidar) {
      fitted.insert({job.actor, job.time});
      const PoseVector& c = job.search.best;
      shift2 += 0.5 * (c[0] * c[0] + c[1] * c[1]);  // per axis
      yaw2 += c[2] * c[2];
    }
  if (fitted.size() < kMinFitsForSmoothing) return;
  const double sigma_shift = std::max(kFitSigmaShift, std::sqrt(shift2 / double(fitted.size())));
  const double sigma_yaw = std::max(kFitSigmaYaw, std::sqrt(yaw2 / double(fitted.size())));
  c10::NoGradGuard no_grad;
  const std::vector<io::ActorTrack> now = model::tracks_of(model::corrected_poses(start, corrections), ds_.actors);
  const std::vector<io::ActorTrack> input = model::tracks_of(start, ds_.actors);
  for (size_t a = 0; a < now.size(); ++a) {
    std::vector<TrackSample> samples;
    for (size_t k = 0; k < now[a].time_indices.size(); ++k) {
      const int t = now[a].time_indices[k];
      const Pose& p = now[a].object_to_world[k];
      const bool sharp = fitted.count({int64_t(a), t}) > 0;
      samples.push_back({ds_.timestamps.at(size_t(t)), p.translation[0], p.translation[1], yaw_of(p.rotation),
                         sharp ? kFitSigmaShift : sigma_shift, sharp ? kFitSigmaYaw : sigma_yaw});
    }
    const std::vector<TrackSample> smooth = smooth_track(samples, o_.track_smoothing);
    for (size_t k = 0; k < smooth.size(); ++k) {  // back to corrections on the input pose, in its box frame
      const int t = now[a].time_indices[k];
      const Pose p0 = *input[a].pose_at(t);
      const Vec3 world_shift{smooth[k].x - p0.translation[0], smooth[k].y - p0.translation[1], 0};
      const Vec3 local = transpose(p0.rotation) * world_shift;
      corrections[int64_t(a)][t][0] = local[0];
      corrections[int64_t(a)][t][1] = local[1];
      corrections[int64_t(a)][t][2] = std::remainder(smooth[k].yaw - yaw_of(p0.rotation), 2 * M_PI);
    }
  }
}

// A held-out timestamp any of whose frames lost PSNR (against `before`, the scores before the stage) gets back the
// rendering it had: its boxes take their actor's mean correction `mean` (A, 3), which the recentred Gaussians undo.
// Returns the actor poses reset; `after`: the held-out scores it leaves.
int Refiner::reset_worse_validation_timestamps(const std::vector<FrameScore>& before, const model::ActorPoses& start,
                                               const at::Tensor& mean, at::Tensor& corrections,
                                               std::vector<FrameScore>& after) {
  after = frame_scores(o_.val, false);
  std::set<int> worse;
  for (size_t k = 0; k < o_.val.size(); ++k)
    if (!(after[k].psnr >= before[k].psnr)) worse.insert(ds_.frames[o_.val[k]].time_index);
  if (worse.empty()) return 0;
  int reset = 0;
  for (int t : worse) {
    corrections.select(1, t).copy_(mean);
    reset += int(scene_.actors.present.select(1, t).sum().item<int64_t>());
  }
  {
    c10::NoGradGuard no_grad;
    scene_.actors = model::corrected_poses(start, corrections);
  }
  after = frame_scores(o_.val, false);
  return reset;
}

// Each actor's Gaussians moved into the frame its corrected boxes agree on: by the inverse of the mean of its
// corrections. They were built in the input boxes' frames; a correction every timestamp shares is a different box
// convention, not a motion, and must not move the rendered actor (a log whose boxes sit 0.2 m off its cars would
// otherwise be re-rendered 0.2 m off); only the corrections' differences between timestamps do. Returns the mean
// corrections (A, 3).
at::Tensor Refiner::recentre_actors(const at::Tensor& corrections) {
  c10::NoGradGuard no_grad;
  model::Gaussians& g = scene_.gaussians;
  const at::Tensor present = scene_.actors.present.to(at::kFloat).unsqueeze(2);
  const at::Tensor mean = (corrections * present).sum(1) / present.sum(1).clamp_min(1);  // (A, 3)
  for (int64_t a = 0; a < mean.size(0); ++a) {
    const double dx = mean[a][0].item<double>(), dy = mean[a][1].item<double>(), yaw = mean[a][2].item<double>();
    if (dx == 0 && dy == 0 && yaw == 0) continue;
    const at::Tensor rows = (g.parts() == a).nonzero().squeeze(1);
    if (rows.numel() == 0) continue;
    // x -> R(-yaw) (x - (dx, dy, 0)), the inverse of the mean correction x -> R(yaw) x + (dx, dy, 0).
    const at::Tensor m = g.means.index_select(0, rows);
    const double co = std::cos(yaw), si = std::sin(yaw);
    const at::Tensor x = m.select(1, 0) - dx, y = m.select(1, 1) - dy;
    const at::Tensor moved = at::stack({co * x + si * y, -si * x + co * y, m.select(1, 2)}, 1);
    g.means = g.means.index_copy(0, rows, moved.to(g.means.scalar_type()));
    const at::Tensor turn = at::tensor({std::cos(-0.5 * yaw), 0.0, 0.0, std::sin(-0.5 * yaw)}, g.quats.options());
    g.quats = g.quats.index_copy(0, rows, model::quaternion_multiply(turn, g.quats.index_select(0, rows)));
  }
  return mean;
}

// The scene less the static Gaussians that cannot reach frame i's crop grown by `margin` pixels (full resolution):
// those behind the camera, or whose 3-sigma footprint (largest scale) misses it. Actors' Gaussians all stay.
model::SceneModel Refiner::crop_scene(size_t i, const eval::PixelRect& crop, double margin) const {
  c10::NoGradGuard no_grad;
  const Camera c = camera(i);
  const model::Gaussians& g = scene_.gaussians;
  const at::Tensor vm = render::viewmat_of(c, at::kFloat);
  const at::Tensor p = at::matmul(g.means, vm.slice(0, 0, 3).slice(1, 0, 3).t()) + vm.slice(0, 0, 3).select(1, 3);
  const at::Tensor z = p.select(1, 2).clamp_min(1e-6);
  const at::Tensor u = c.fx * p.select(1, 0) / z + c.cx, v = c.fy * p.select(1, 1) / z + c.cy;
  const at::Tensor radius = 3 * std::get<0>(g.log_scales.max(1)).exp() * std::max(c.fx, c.fy) / z;
  const at::Tensor reaches = (p.select(1, 2) > 0.01) & (u + radius > crop.x0 - margin) &
                             (u - radius < crop.x1 + margin) & (v + radius > crop.y0 - margin) &
                             (v - radius < crop.y1 + margin);
  model::SceneModel out = scene_;
  out.gaussians = g.select(reaches | (g.parts() >= 0));
  return out;
}

// The job's residual with its actor moved by `delta` (dx, dy, dyaw on top of `start` + `corrections`): each frame's
// crop rendered (at twice the level's resolution at coarse levels, as the camera stage renders), reduced and
// blurred as the level's photos were, minus the photo, over the valid pixels; then the prior's residual, weighted by
// `prior` (0: none).
at::Tensor Refiner::actor_residual(const ActorJob& job, const std::vector<model::SceneModel>& scenes,
                                   const model::ActorPoses& start, const at::Tensor& corrections,
                                   const PoseVector& delta, const ImageLevel& lv, double prior) {
  c10::NoGradGuard no_grad;
  at::Tensor moved = corrections.clone();
  for (int64_t c = 0; c < 3; ++c) moved[job.actor][job.time][c] = delta[size_t(c)];
  const model::ActorPoses poses = model::corrected_poses(start, moved);
  std::vector<at::Tensor> parts;
  for (size_t k = 0; k < job.frames.size(); ++k) {
    const size_t i = job.frames[k];
    const LevelCrop lc = level_crop(job.crops[k], lv, i);
    if (lc.x1 <= lc.x0 || lc.y1 <= lc.y0) continue;
    const int render_factor = lv.factor <= 2 ? 1 : lv.factor / 2, sub = lv.factor / render_factor;
    render::Intrinsics in = render::intrinsics_of(ds_.frames[i].camera.downscaled(render_factor));
    in.cx -= double((lc.x0 - lc.pad) * sub);
    in.cy -= double((lc.y0 - lc.pad) * sub);
    in.width = int((lc.x1 - lc.x0 + 2 * lc.pad) * sub);
    in.height = int((lc.y1 - lc.y0 + 2 * lc.pad) * sub);
    model::SceneModel scene = scenes[k];
    scene.actors = poses;
    const at::Tensor vm = frame_viewmat(i, deltas_[int64_t(owner_[i])]).to(at::kFloat);
    const at::Tensor reduced = downscale_mean(render::render_view(scene, ds_, i, vm, in, {}).rgb, sub);
    const at::Tensor seen = (lv.blur > 0 ? gaussian_blur(reduced, lv.blur) : reduced)
                                .slice(0, lc.pad, lc.pad + lc.y1 - lc.y0).slice(1, lc.pad, lc.pad + lc.x1 - lc.x0);
    at::Tensor res = seen - lv.blurred[i].slice(0, lc.y0, lc.y1).slice(1, lc.x0, lc.x1);
    if (const at::Tensor mask = lv.mask(i); mask.defined()) res = res * mask.slice(0, lc.y0, lc.y1).slice(1, lc.x0, lc.x1);
    parts.push_back(res.flatten() / std::sqrt(double(res.numel())));
  }
  if (prior > 0)
    parts.push_back(prior * at::tensor({delta[0] / (kPriorShift * job.length), delta[1] / (kPriorShift * job.length),
                                            delta[2] / kPriorYaw}, at::kFloat));
  return parts.empty() ? at::zeros({1}, at::kDouble) : at::cat(parts).to(at::kDouble);
}

// One job at one level: Levenberg-Marquardt from its best pose so far, on its frames' crop scenes.
void Refiner::align_actor(ActorJob& job, const std::vector<model::SceneModel>& scenes, const model::ActorPoses& start,
                          const at::Tensor& corrections, const ImageLevel& lv, int budget) {
  const double prior = std::sqrt(kPriorWeight * actor_residual(job, scenes, start, corrections, {}, lv, 0)
                                                    .square().sum().item<double>());
  const ResidualFn residual_at = [&](const PoseVector& delta, bool) {
    return actor_residual(job, scenes, start, corrections, delta, lv, prior);
  };
  const PoseVector px{job.shift_px / lv.factor, job.shift_px / lv.factor, job.yaw_px / lv.factor, 0, 0, 0};
  pose_search_new_level(job.search, o_.pose_search);
  search_pose(job.search, residual_at, px, budget, o_.pose_search);
}

// The job's image cost at full resolution with its actor at `delta` (no prior).
double Refiner::actor_cost(const ActorJob& job, const std::vector<model::SceneModel>& scenes,
                           const model::ActorPoses& start, const at::Tensor& corrections, const PoseVector& delta) {
  const ImageLevel& lv = level(1, 0, use_masks_ ? LevelMasks::kTraining : LevelMasks::kNone);
  return actor_residual(job, scenes, start, corrections, delta, lv, 0).square().sum().item<double>();
}

StageReport Refiner::run_actor_stage(int steps) {
  const auto t0 = Clock::now();
  StageReport report;
  report.name = "actors";
  report.stop_reason = "settled";
  const bool has_val = !o_.val.empty();
  const std::vector<FrameScore> val_start = has_val ? frame_scores(o_.val, false) : std::vector<FrameScore>{};
  report.val_start = report.val_best = report.val_last = report.val_end = has_val ? mean_psnr(val_start) : kNaN;
  const model::ActorPoses start = scene_.actors;
  std::vector<ActorJob> jobs = actor_jobs();
  at::Tensor corrections = at::zeros_like(actor_corrections_);  // on top of `start`, the jobs' best so far
  register_on_lidar(jobs, corrections);
  const size_t levels = std::max<size_t>(1, o_.pose_blur.size());
  const int budget = std::max(1, int(std::ceil(double(steps) / double(levels))));
  // The static Gaussians that can reach a crop, found once per job for its coarsest level's margin.
  const auto [coarse_factor, coarse_blur] = schedule(0);
  const double margin = coarse_factor * (coarse_blur > 0 ? 3 * coarse_blur + 2 : 1);
  Progress progress("refining actors", int64_t(jobs.size()));
  for (ActorJob& job : jobs) {  // each job coarse to fine, then the next (they meet only where crops overlap)
    std::vector<model::SceneModel> scenes;
    for (size_t k = 0; k < job.frames.size(); ++k) scenes.push_back(crop_scene(job.frames[k], job.crops[k], margin));
    job.cost_start = actor_cost(job, scenes, start, corrections, {});
    for (size_t l = 0; l < levels && !job.lidar; ++l) {
      const auto [factor, blur] = schedule(l);
      align_actor(job, scenes, start, corrections, level(factor, blur, use_masks_ ? LevelMasks::kTraining : LevelMasks::kNone), budget);
    }
    job.cost_end = actor_cost(job, scenes, start, corrections, job.search.best);
    if (!job.lidar && !(job.cost_end < job.cost_start)) {  // found in the images, not preferred at full resolution
      job.search.best = {};
      job.cost_end = job.cost_start;
      ++report.frames_reset;
    }
    for (int64_t c = 0; c < 3; ++c) corrections[job.actor][job.time][c] = job.search.best[size_t(c)];
    report.steps = std::max(report.steps, job.search.accepted + job.search.rejected);
    if (!job.lidar && !job.search.settled) report.stop_reason = "steps";
    if (!job.validation) {
      report.start_loss += job.cost_start;
      report.best_loss += job.cost_end;
    }
    progress.advance();
  }
  progress.finish();
  if (o_.smooth_tracks) smooth_tracks(jobs, start, corrections);
  const at::Tensor mean = recentre_actors(corrections);
  {
    c10::NoGradGuard no_grad;
    scene_.actors = model::corrected_poses(start, corrections);
  }
  if (has_val) {
    std::vector<FrameScore> val_end;
    report.frames_reset += reset_worse_validation_timestamps(val_start, start, mean, corrections, val_end);
    report.val_best = report.val_last = report.val_end = mean_psnr(val_end);
  }
  actor_corrections_ = actor_corrections_ + corrections;
  report.time_s = seconds_since(t0);
  return report;
}

}  // namespace ttgs::refine
