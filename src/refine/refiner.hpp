#pragma once
// Test-time refinement of an existing reconstruction on its own input images: stage 1 corrects every frame's
// camera (Gaussians frozen), stage 2 refines chosen Gaussian attributes while the cameras keep refining at a tenth
// of their rate. Every step renders all refined frames (full batch); loss L1 + λ(1 - SSIM) over valid pixels, plus
// an optional disparity loss against a RANSAC-aligned monocular depth prior.
// Stage 1 treats every frame on its own (pose_search.hpp): coarse to fine, a step is kept only when the frame's
// own loss does not rise, and at the end a frame whose full-resolution loss rose (a validation frame: whose PSNR
// fell) goes back to its input pose. Stage 2 keeps its best iterate and stops early; with validation frames it stops
// and rolls back to its best validated iterate as soon as the validation PSNR drops. The validation PSNR is measured
// before any change and after each stage with the same function the report uses; a final check restores the input
// if the result were worse on the held-out views, so metrics.after.val.psnr >= metrics.before.val.psnr.
#include <string>
#include <vector>

#include "eval/evaluate.hpp"
#include "io/dataset.hpp"
#include "model/gaussians.hpp"
#include "optim/adam.hpp"
#include "refine/depth_alignment.hpp"
#include "refine/sky_fusion.hpp"
#include "refine/pose_correction.hpp"
#include "refine/pose_search.hpp"

namespace ttgs::refine {

// Gaussian attributes stage 2 may change: opacity, color (all SH coefficients), rotation, xyz, scale.
struct AttributeSet {
  bool opacity = true, color = true, rotation = true, xyz = false, scale = false;
};
// "opacity,color,rotation[,xyz,scale]"; InputError naming --attrs on an unknown or empty list.
AttributeSet parse_attributes(const std::string& list);
std::string to_string(const AttributeSet& attrs);

struct RefineOptions {
  bool stage_pose = true, stage_gs = true;
  int steps_pose = 50, steps_gs = 50;
  AttributeSet attrs;
  // Adam step sizes of the cameras in the Gaussian stage (times pose_lr_in_gs_stage): radians, fraction of the
  // scene extent.
  double lr_pose_rotation = 1e-2;
  double lr_pose_translation = 1e-2;
  PoseSearchOptions pose_search;      // the camera stage's per-frame Levenberg-Marquardt
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
  // `patience` steps; validation PSNR may drop by at most `val_tolerance_db` before a rollback.
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
  int frames_reset = 0;  // camera stage: frames sent back to their input pose by the end-of-stage check
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
};

struct DepthReport {
  size_t frame = 0;
  double scale = 0, shift = 0, inlier_fraction = 0;
  double sky_fraction = -1;  // of the frame's pixels, from sky fusion (-1: fusion off)
};

struct RefineResult {
  model::Gaussians gaussians;
  std::vector<Camera> cameras;  // one per dataset frame (unchanged where not refined)
  std::vector<size_t> train;    // frames that drove the refinement
  eval::EvalReport before_train, before_val, after_train, after_val;  // val empty without validation frames
  std::vector<StageReport> stages;
  std::vector<FramePoseReport> pose_frames;  // camera stage, training then validation frames
  bool restored_input = false;  // the final check found the held-out views worse and restored the input
  std::vector<DepthReport> depth;  // last alignment of each frame with a prior
  double time_s = 0;
};

RefineResult refine(const io::Dataset& dataset, const model::Gaussians& init, const RefineOptions& options);

}  // namespace ttgs::refine
