#pragma once
// Test-time refinement of an existing reconstruction (a static splat or a 4D scene model: actors, distant region,
// appearance) on its own input images, in stages:
//   pose:   cameras corrected, everything else frozen. With several cameras per timestamp (a rig) one correction per
//           timestamp moves all its cameras together (the rig's extrinsics shared); `PoseMode::kFrame` corrects each
//           frame on its own. Coarse to fine, Levenberg-Marquardt per timestamp (pose_search.hpp): a step is kept
//           only when the cost does not rise, and at the end a timestamp whose full-resolution loss rose (a
//           validation one: whose PSNR fell) goes back to its input pose.
//   actors: each actor's box pose per timestamp (a shift along the box's x and y axes and a turn about its z axis),
//           by Levenberg-Marquardt on the image residual around its box, coarse to fine like the cameras, with
//           the Gaussians, the cameras and the other actors frozen; a pose the full-resolution residual does not
//           prefer goes back to its input. Boxes with LiDAR returns on a face are fitted to them instead
//           (box_registration.hpp), and the tracks are then smoothed over time (track_smoothing.hpp).
//   gs:     chosen Gaussian attributes of chosen parts, the appearance transforms and the environment map, while the
//           cameras keep refining at a tenth of their rate.
// Every step renders all refined frames (full batch); loss L1 + λ(1 - SSIM) over valid pixels, plus an optional
// disparity loss against a RANSAC-aligned monocular depth prior.
// Held-out (validation) frames: their cameras and actor poses are refined on their own images in the pose and actor
// stages (a timestamp's poses only affect its own frames); their pixels never change the Gaussians. The Gaussian
// stage keeps its best iterate, stops early, and with validation frames rolls back to its best validated iterate
// as soon as the validation PSNR drops. The validation PSNR is measured before any change and after each stage with
// the same function the report uses; a final check restores the input if the result were worse on the held-out
// views, so metrics.after.val.psnr >= metrics.before.val.psnr.
#include <string>
#include <vector>

#include "eval/evaluate.hpp"
#include "io/dataset.hpp"
#include "model/gaussians.hpp"
#include "model/scene_model.hpp"
#include "optim/adam.hpp"
#include "refine/depth_alignment.hpp"
#include "refine/sky_fusion.hpp"
#include "refine/pose_correction.hpp"
#include "refine/point_registration.hpp"
#include "refine/pose_search.hpp"
#include "refine/track_smoothing.hpp"

namespace ttgs::refine {

// Gaussian attributes stage 2 may change: opacity, color (all SH coefficients), rotation, xyz, scale.
struct AttributeSet {
  bool opacity = true, color = true, rotation = true, xyz = false, scale = false;
};
// "opacity,color,rotation[,xyz,scale]"; InputError naming --attrs on an unknown or empty list.
AttributeSet parse_attributes(const std::string& list);
std::string to_string(const AttributeSet& attrs);

// Parts of a scene model the Gaussian stage may change: the static Gaussians, the actors' Gaussians, the distant
// region (environment map) and the per-image appearance transforms.
struct PartSet {
  bool static_part = true, actors = true, distant = true, appearance = true;
};
// "static,actors,distant,appearance" (any subset); InputError naming --parts on an unknown or empty list.
PartSet parse_parts(const std::string& list);
std::string to_string(const PartSet& parts);

// How the camera stage groups frames: one correction per timestamp for all its cameras (a rig), or one per frame.
enum class PoseMode { kRig, kFrame };

struct RefineOptions {
  bool stage_pose = true, stage_actors = true, stage_gs = true;  // the actor stage runs only on scenes with actors
  int steps_pose = 50, steps_actors = 50;
  // Gaussian stage: its steps (kPassSteps: as many as kGaussianPasses passes over the training frames take), and the
  // training frames rendered per step (each once per epoch, in a fresh random order each epoch; 0: all of them every
  // step). At equal renders a step of a few frames repairs more than a step of all of them (seed 73 street, 54
  // training frames, 2700 renders: 18 per step train 28.48 / held-out 26.54 dB, all per step 25.03 / 24.14).
  static constexpr int kPassSteps = -1, kGaussianPasses = 50;
  int steps_gs = kPassSteps;
  int frames_per_step = 18;
  PoseMode pose_mode = PoseMode::kRig;  // static data (one frame per timestamp) is the same either way
  bool nearest_masks = true;  // the camera stage's masks downscaled by block minimum (false: bilinearly, for ablation)
  AttributeSet attrs;
  PartSet parts;
  // Actor stage: the tracks smoothed over time at its end (track_smoothing.hpp), when LiDAR fits measured the boxes'
  // error.
  bool smooth_tracks = true;
  TrackSmoothingOptions track_smoothing;
  double lr_appearance = 1e-3, lr_environment = 1e-2;  // Gaussian stage, as fit's
  // Adam step sizes of the cameras in the Gaussian stage (times pose_lr_in_gs_stage): radians, fraction of the
  // scene extent.
  double lr_pose_rotation = 1e-2;
  double lr_pose_translation = 1e-2;
  PoseSearchOptions pose_search;      // the camera stage's per-frame Levenberg-Marquardt
  // The camera stage on data with LiDAR first registers the camera groups on the static returns
  // (point_registration.hpp), level by level, before its search on renders.
  bool lidar_registration = true;
  PointRegistrationOptions point_registration;
  double pose_lr_in_gs_stage = 0.1;   // factor on the camera rates during stage 2
  // Coarse to fine in the camera stage: equal shares of the steps with the images (photo and rendering alike)
  // blurred by a Gaussian of each of these sigmas, as fractions of the image's smaller side; levels are downscaled
  // as far as the blur allows while their smaller side keeps pyramid_min_size pixels.
  std::vector<double> pose_blur{0.04, 0.02, 0.01, 0};
  int pyramid_min_size = 48;
  optim::LearningRates lr;            // attribute rates (3DGS defaults; positions x scene extent)
  double lr_final_fraction = 0.1;     // every rate decays exponentially to this fraction over its stage
  double ssim_lambda = 0.2;
  // Depth prior: one map per frame (undefined: none), aligned by RANSAC every `realign_every` steps.
  std::vector<at::Tensor> depth_priors;
  double depth_weight = 0.1;
  RansacOptions ransac;
  int realign_every = 10;
  // Sky fusion (sky_fusion.hpp): sky pixels, grown from where prior and model agree, leave the alignment and the loss.
  bool sky_fusion = false;
  SkyFusionOptions sky;
  // Early stopping: a stage ends when its loss has not improved by a relative `min_rel_improvement` for
  // `patience` steps (the Gaussian stage: passes over the training frames); validation PSNR may drop by at most
  // `val_tolerance_db` before a rollback.
  double min_rel_improvement = 1e-4;
  int patience = 10;
  double val_tolerance_db = 0.05;
  // Frames held out for validation (never used to change the Gaussians); their cameras are refined in stage 1.
  std::vector<size_t> val;
  // Frame whose camera stays fixed whenever Gaussian positions move (pins the gauge); -1: the first training frame.
  int reference_frame = -1;
};

struct StageReport {
  std::string name;
  int steps = 0;        // steps run
  int best_step = 0;    // iterate kept (0 = the stage's input; the camera stage keeps each frame's own best)
  double time_s = 0;
  double start_loss = 0, best_loss = 0;
  std::string stop_reason;  // "steps", "no improvement", "settled", "validation PSNR dropped", "non-finite loss"
  // Validation PSNR (dB) before the stage, of its best validated iterate, of the last iterate it measured, and
  // after it (what it hands on: the best validated iterate); NaN without validation frames.
  double val_start = 0, val_best = 0, val_last = 0, val_end = 0;
  int frames_reset = 0;  // frames (camera stage) or actor poses (actor stage) sent back to their input by the end check
};

// One frame in the camera stage.
struct FramePoseReport {
  size_t frame = 0;
  bool validation = false;
  double loss_start = 0, loss_end = 0;  // photometric loss at full resolution, input pose and refined pose
  double psnr_start = 0, psnr_end = 0;  // dB, same poses
  int accepted = 0, rejected = 0;       // steps kept / undone by the frame's Levenberg-Marquardt, all levels
  int renders = 0;                      // renders it took (finite-difference Jacobians included)
  bool reset = false;                   // its loss rose (validation frame: its PSNR fell): back to the input pose
  bool registered = false;              // registered on the static LiDAR returns (kept by the Gaussian stage)
};

struct DepthReport {
  size_t frame = 0;
  double scale = 0, shift = 0, inlier_fraction = 0;
  double sky_fraction = -1;  // of the frame's pixels, from sky fusion (-1: fusion off)
};

struct RefineResult {
  model::SceneModel scene;      // refined: Gaussians, actor poses, environment, appearance
  model::Gaussians gaussians;   // scene.gaussians
  std::vector<Camera> cameras;  // one per dataset frame (unchanged where not refined)
  std::vector<size_t> train;    // frames that drove the refinement
  eval::EvalReport before_train, before_val, after_train, after_val;  // val empty without validation frames
  std::vector<StageReport> stages;
  std::vector<FramePoseReport> pose_frames;  // camera stage, training then validation frames
  bool restored_input = false;  // the final check found the held-out views worse and restored the input
  std::vector<DepthReport> depth;  // last alignment of each frame with a prior
  at::Tensor actor_corrections;    // (A, T, 3) dx, dy, dyaw the actor stage applied; undefined without actors
  double time_s = 0;
};

RefineResult refine(const io::Dataset& dataset, const model::SceneModel& init, const RefineOptions& options);
RefineResult refine(const io::Dataset& dataset, const model::Gaussians& init, const RefineOptions& options);

// The Gaussian stage's frames per step and steps with `train_frames` training frames (kPassSteps resolved), and
// the steps that `passes` passes over the training frames take (its patience, its default length).
size_t gaussian_frames_per_step(const RefineOptions& options, size_t train_frames);
int gaussian_stage_steps(const RefineOptions& options, size_t train_frames);
int gaussian_steps_for_passes(const RefineOptions& options, size_t train_frames, int passes);

}  // namespace ttgs::refine
