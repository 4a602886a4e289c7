#pragma once
// Test-time refinement of an existing reconstruction on its own input images: stage 1 corrects every frame's
// camera (Gaussians frozen), stage 2 refines chosen Gaussian attributes while the cameras keep refining at a tenth
// of their rate. Every step renders all refined frames (full batch); loss L1 + λ(1 - SSIM) over valid pixels, plus
// an optional disparity loss against a RANSAC-aligned monocular depth prior. Each stage keeps its best iterate and
// stops early; with validation frames, a stage that changes the Gaussians stops and rolls back as soon as the
// validation PSNR drops, so the result is never worse on held-out views than the input.
#include <string>
#include <vector>

#include "eval/evaluate.hpp"
#include "io/dataset.hpp"
#include "model/gaussians.hpp"
#include "optim/adam.hpp"
#include "refine/depth_alignment.hpp"
#include "refine/sky_fusion.hpp"
#include "refine/pose_correction.hpp"

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
  double lr_pose_rotation = 1e-2;     // radians (Adam step size)
  double lr_pose_translation = 1e-2;  // fraction of the scene extent
  double pose_lr_in_gs_stage = 0.1;   // factor on the camera rates during stage 2
  // Coarse to fine in the camera stage: equal shares of the steps at these downscale factors, then full resolution.
  std::vector<int> pose_pyramid{4, 2};
  int pyramid_min_size = 48;  // pixels (the image's smaller side) a level must keep; coarser levels are skipped
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
  int best_step = 0;    // iterate kept (0 = the stage's input)
  double time_s = 0;
  double start_loss = 0, best_loss = 0;
  std::string stop_reason;  // "steps", "no improvement", "validation PSNR dropped"
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
  std::vector<DepthReport> depth;  // last alignment of each frame with a prior
  double time_s = 0;
};

RefineResult refine(const io::Dataset& dataset, const model::Gaussians& init, const RefineOptions& options);

}  // namespace ttgs::refine
