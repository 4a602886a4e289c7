#pragma once
// Per-image appearance: an affine colour transform [A | b] (3 x 4) per training image, applied to the rendered
// colour (rgb' = A rgb + b), so exposure and white-balance changes between cameras and over time need not be
// explained by the Gaussians. An image without its own transform (a test image) gets the transforms of the same
// camera's training images at the nearest timestamps before and after, interpolated linearly in time (the nearest
// one when there is only one side; identity when that camera has no training image).
#include <ATen/ATen.h>

#include <vector>

#include "io/dataset.hpp"

namespace ttgs::model {

at::Tensor identity_appearance(int64_t images);  // (images, 3, 4)

// rgb (H, W, 3) through one transform (3, 4).
at::Tensor apply_appearance(const at::Tensor& rgb, const at::Tensor& transform);

// The transform of dataset frame `frame`: its own row of `table` (one row per dataset frame) when `trained[frame]`,
// else the interpolation above.
at::Tensor appearance_of(const at::Tensor& table, const std::vector<bool>& trained, const io::Dataset& dataset,
                         size_t frame);

}  // namespace ttgs::model
