#pragma once
// Renders a Gaussian scene into a dataset's views and measures it against the photos.
#include <cmath>
#include <string>
#include <vector>

#include "eval/lpips.hpp"
#include "io/dataset.hpp"
#include "model/gaussians.hpp"
#include "model/scene_model.hpp"
#include "render/rasterizer.hpp"

namespace ttgs::eval {

enum class Split { Train, Test, All };
Split parse_split(const std::string& name);  // train | test | all; InputError otherwise
// Frame indices of the split; InputError naming `what` when the split is empty.
std::vector<size_t> split_frames(const io::Dataset& dataset, Split split, const std::string& what);

struct ImageScore {
  std::string name;
  double psnr = 0, ssim = 0;
  double lpips = 0;  // only with an LPIPS model
  // Datasets with actors: PSNR inside the actors' projected boxes (NaN when the image has no box pixel) and outside.
  double dynamic_psnr = NAN, static_psnr = NAN;
};

struct EvalReport {
  std::vector<ImageScore> images;
  double psnr = 0, ssim = 0;  // means of the per-image values
  bool has_lpips = false;
  double lpips = 0;
  bool has_actors = false;
  double dynamic_psnr = NAN, static_psnr = NAN;  // means over the images that have such pixels
  // Datasets with LiDAR: median over every return seen in the images (covered by the render) of
  // |rendered depth - LiDAR depth| / LiDAR depth.
  bool has_lidar = false;
  double depth_median_abs_rel = NAN;
  size_t lidar_returns = 0;
  // {"psnr", "ssim", "lpips" (null with "lpips_note" when unavailable), "num_images", "per_image"}
  std::string to_json() const;
};

// Renders frame i of the dataset (background black), as (H, W, 3) float.
at::Tensor render_frame(const model::Gaussians& gaussians, const io::Frame& frame, const render::RenderSettings& s);
// PSNR (over the frame's mask when it has one), SSIM and, given a model, LPIPS of every frame in `frames`.
EvalReport evaluate(const model::Gaussians& gaussians, const io::Dataset& dataset, const std::vector<size_t>& frames,
                    const render::RenderSettings& settings, const LpipsModel* lpips = nullptr);
// The same for a scene model (placed actors, environment, appearance). Masks are used as for training
// (model::uses_masks), and with actors in the dataset dynamic_psnr / static_psnr are measured too.
EvalReport evaluate(const model::SceneModel& scene, const io::Dataset& dataset, const std::vector<size_t>& frames,
                    const render::RenderSettings& settings, const LpipsModel* lpips = nullptr);
extern const char* const kLpipsUnavailable;  // the note reported in place of LPIPS

}  // namespace ttgs::eval
