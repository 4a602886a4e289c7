#pragma once
// Held-out images under per-image appearance, scored as NeRF-W does: a test image's colour transform cannot be
// known from the training images (independent exposure and white balance per image), so it is fitted on the
// image's left half and the image is scored on its right half only. The fit is closed form: the affine colour map
// [A | b] (what model/appearance applies) minimizing the squared error between the render without appearance and
// the photo over the left half's valid pixels.
#include <string>
#include <vector>

#include "io/dataset.hpp"
#include "model/scene_model.hpp"
#include "render/rasterizer.hpp"

namespace ttgs::eval {

struct HalfImageScore {
  std::string name;
  double plain_psnr = 0;   // right half, the model's own render (its interpolated transform, if it has appearance)
  double fitted_psnr = 0;  // right half, the render without appearance through the transform fitted on the left half
};

struct HalfImageReport {
  std::vector<HalfImageScore> images;
  double plain_psnr = 0, fitted_psnr = 0;  // means
  std::string to_json() const;
};

// The affine colour transform (3, 4) mapping `rendered` to `photo` (both (H, W, 3)) in least squares over the pixels
// where `weight` (H, W, 1) is 1; identity when too few pixels vary (the normal equations are regularized toward it).
at::Tensor fit_affine_colour(const at::Tensor& rendered, const at::Tensor& photo, const at::Tensor& weight);

HalfImageReport evaluate_halves(const model::SceneModel& scene, const io::Dataset& dataset,
                                const std::vector<size_t>& frames, const render::RenderSettings& settings);

}  // namespace ttgs::eval
