#pragma once
// Inside refine(): the Refiner holds what the stages share (the scene being refined, the camera corrections and
// their grouping, the image pyramid, the depth alignments) and runs the stages. Its members are defined across
// refiner.cpp (set-up, cameras, scores, the run), depth_terms.cpp, pose_stage.cpp, actor_stage.cpp and
// gaussian_stage.cpp. Not part of the module's interface.
#include <chrono>
#include <functional>
#include <limits>
#include <map>
#include <tuple>
#include <vector>

#include "refine/image_levels.hpp"
#include "refine/refiner.hpp"
#include "render/rasterizer.hpp"

namespace ttgs::eval {
struct PixelRect;
}

namespace ttgs::refine {

struct ActorJob;  // actor_stage.cpp

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

PoseVector to_pose_vector(const at::Tensor& t);  // (6) -> numbers
at::Tensor to_tensor(const PoseVector& v);       // numbers -> (6) double

// A residual vector (double) whose squared norm is the cost at a pose; `first`: the first measurement of a level.
using ResidualFn = std::function<at::Tensor(const PoseVector& delta, bool first)>;
// Levenberg-Marquardt (pose_search.hpp) on a residual until `s` settles or has measured `budget` poses; `px`: the
// image motion (pixels) of a unit change of each component, 0 for a component not searched (pose_stage.cpp).
void search_pose(FramePoseSearch& s, const ResidualFn& residual_at, const PoseVector& px, int budget,
                 const PoseSearchOptions& o);

struct Alignment {
  at::Tensor source_disparity;  // (H, W) prior disparity
  at::Tensor inliers;           // (H, W) bool
  double scale = 1, shift = 0, inlier_fraction = 0, sky_fraction = -1;
  bool ok = false;
  int factor = 0;  // pyramid level it was computed at
};

// A frame's full-resolution loss and PSNR.
struct FrameScore {
  double loss = 0, psnr = 0;
};
// Mean PSNR of frames, accumulated as eval::evaluate accumulates it (so it agrees with the report to the bit).
double mean_psnr(const std::vector<FrameScore>& scores);

class Refiner {
 public:
  Refiner(const io::Dataset& ds, const model::SceneModel& init, const RefineOptions& o);
  RefineResult run();

 private:
  // --- refiner.cpp: set-up, cameras, rendering, scores
  void build_groups();
  void compute_pivots();
  // The frames at one level (built on first use): the camera stage's masks keep only the static scene, the other
  // stages' are training's.
  const ImageLevel& level(int factor, double blur, LevelMasks masks);
  const ImageLevel& pose_level(int factor, double blur = 0) {
    return level(factor, blur, o_.nearest_masks ? LevelMasks::kStatic : LevelMasks::kStaticBilinear);
  }
  const ImageLevel& training_level() { return level(1, 0, use_masks_ ? LevelMasks::kTraining : LevelMasks::kNone); }
  // Frame i's world-to-camera matrix (4, 4, double) with its group's correction `owner_delta` (6): differentiable.
  at::Tensor frame_viewmat(size_t i, const at::Tensor& owner_delta) const;
  Camera camera(size_t i) const;  // with the current corrections
  render::RenderResult render_frame(size_t i, const at::Tensor& viewmat, const render::Intrinsics& k) const;
  eval::EvalReport evaluate(const std::vector<size_t>& frames) const;
  std::vector<FrameScore> frame_scores(const std::vector<size_t>& frames, bool with_loss = true);
  double validation_psnr();
  at::Tensor pose_rates(double factor, bool pin_reference) const;
  double decay(int step, int steps) const;
  void restore_input(RefineResult& result);

  // --- depth_terms.cpp: the depth prior's alignment and loss, and the training loss of a frame
  void align_depth(size_t i, const render::RenderResult& r, const ImageLevel& lv, int factor);
  at::Tensor depth_loss(size_t i, const render::RenderResult& r) const;
  at::Tensor frame_loss(size_t i, const at::Tensor& viewmat, const ImageLevel& lv, bool realign);

  // --- pose_stage.cpp: per-group Levenberg-Marquardt, coarse to fine
  struct LevelRender {
    render::RenderResult rendered;  // full size, or twice the level's resolution at coarse levels (level_render)
    at::Tensor image;  // (h, w, 3) at the level
  };
  std::pair<int, double> schedule(size_t k) const;  // level k's (downscale factor, blur in its pixels)
  // (downscale factor, blur in its pixels) of a level whose blur is `blur_fraction` of the image's smaller side.
  std::pair<int, double> blur_level(double blur_fraction) const;
  const ImageLevel& schedule_level(size_t k);
  LevelRender level_render(size_t i, const PoseVector& owner_delta, const ImageLevel& lv);
  at::Tensor pose_residual(size_t i, const LevelRender& seen, const ImageLevel& lv, bool realign);
  at::Tensor group_residual(size_t g, const PoseVector& delta, const ImageLevel& lv, bool realign);
  void shift_start(size_t g, FramePoseSearch& s, const ImageLevel& lv);
  PoseVector pixels_per_unit(size_t i, const ImageLevel& lv) const;
  void align_group(size_t g, FramePoseSearch& s, const ImageLevel& lv, int budget);
  void measure_coverage();
  void register_on_lidar_points();
  RegistrationPhoto registration_photo(size_t i, size_t g, const ImageLevel& lv, std::vector<at::Tensor>& held);
  at::Tensor pose_mask(size_t i, const ImageLevel& lv);
  StageReport run_pose_stage(int steps, RefineResult& result);
  void check_pose_groups(const std::vector<FrameScore>& start, StageReport& report, RefineResult& result);

  // --- actor_stage.cpp: boxes fitted to LiDAR returns, else searched in crops; tracks smoothed over time
  std::vector<ActorJob> actor_jobs() const;
  void register_on_lidar(std::vector<ActorJob>& jobs, at::Tensor& corrections) const;
  at::Tensor recentre_actors(const at::Tensor& corrections);
  int reset_worse_validation_timestamps(const std::vector<FrameScore>& before, const model::ActorPoses& start,
                                        const at::Tensor& mean, at::Tensor& corrections, std::vector<FrameScore>& after);
  void smooth_tracks(const std::vector<ActorJob>& jobs, const model::ActorPoses& start, at::Tensor& corrections) const;
  model::SceneModel crop_scene(size_t i, const eval::PixelRect& crop, double margin) const;
  at::Tensor actor_residual(const ActorJob& job, const std::vector<model::SceneModel>& scenes,
                            const model::ActorPoses& start, const at::Tensor& corrections, const PoseVector& delta,
                            const ImageLevel& lv, double prior);
  void align_actor(ActorJob& job, const std::vector<model::SceneModel>& scenes, const model::ActorPoses& start,
                   const at::Tensor& corrections, const ImageLevel& lv, int budget);
  double actor_cost(const ActorJob& job, const std::vector<model::SceneModel>& scenes, const model::ActorPoses& start,
                    const at::Tensor& corrections, const PoseVector& delta);
  StageReport run_actor_stage(int steps);

  // --- gaussian_stage.cpp
  StageReport run_gaussian_stage(int steps);

  const io::Dataset& ds_;
  const RefineOptions& o_;
  const model::SceneModel& init_;
  model::SceneModel scene_;
  double extent_;
  bool use_masks_;
  std::vector<at::Tensor> viewmat_;  // input world-to-camera matrices (double)
  std::map<std::tuple<int, double, LevelMasks>, ImageLevel> levels_;
  std::vector<size_t> train_;         // training frames (the dataset's, minus validation ones)
  std::vector<size_t> used_;          // training frames, then validation frames
  // Camera groups: frames sharing one correction (a timestamp's cameras in rig mode), their first frame the owner
  // whose row of deltas_ holds it. relative_[i] = viewmat_[i] · viewmat_[owner]⁻¹ (undefined for owners).
  std::vector<std::vector<size_t>> groups_;
  std::vector<bool> group_is_val_;
  std::vector<size_t> owner_;
  std::vector<at::Tensor> relative_;
  std::vector<double> pivot_;        // per frame: depth of the correction's pivot
  // Camera stage: per frame, the pixels the model covers at the input pose (alpha > 0.5, full resolution), and
  // the level masks combined with them, by (frame, factor).
  std::vector<at::Tensor> coverage_;
  std::map<std::pair<size_t, int>, at::Tensor> pose_masks_;
  std::vector<Alignment> alignment_;
  at::Tensor deltas_;  // (F, 6) camera corrections, double; only owners' rows are used
  at::Tensor actor_corrections_;  // (A, T, 3) applied to scene_.actors (kept for the report)
  int pose_renders_ = 0;  // renders of the camera stage so far
  std::vector<bool> registered_;  // per group: the camera stage registered it on LiDAR
  size_t reference_ = 0;
};

}  // namespace ttgs::refine
