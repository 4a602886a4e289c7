#pragma once
// Monocular depth priors for refinement: one (H, W) float tensor per frame at the loaded resolution (0 = unknown),
// read from files or predicted by a user-supplied TorchScript model. Priors are only trusted up to the affine
// disparity alignment done during refinement, so their unit does not matter.
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "io/dataset.hpp"

namespace ttgs::refine {

// `dir`/<image file stem>.npy (float) or .png (8/16-bit, any unit), for every frame in `frames`; any size (resampled
// nearest-neighbour to the frame). InputError naming the missing or malformed file.
std::vector<at::Tensor> read_depth_priors(const io::Dataset& dataset, const std::vector<size_t>& frames,
                                          const std::string& dir);

// A TorchScript model: forward takes (1, 3, H, W) float RGB in [0, 1] and returns a tensor of H'*W' depths (any of
// (1,1,H',W'), (1,H',W'), (H',W')); with `outputs_disparity` the values are disparities and are inverted.
std::vector<at::Tensor> predict_depth_priors(const io::Dataset& dataset, const std::vector<size_t>& frames,
                                             const std::string& model_path, bool outputs_disparity);

// Nearest-neighbour resampling of an (h, w) map to (height, width), pixel centres aligned.
at::Tensor resize_nearest(const at::Tensor& map, int64_t height, int64_t width);

}  // namespace ttgs::refine
