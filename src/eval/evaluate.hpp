#pragma once
// Renders a Gaussian scene into a dataset's views and measures it against the photos.
#include <string>
#include <vector>

#include "io/dataset.hpp"
#include "model/gaussians.hpp"
#include "render/rasterizer.hpp"

namespace ttgs::eval {

enum class Split { Train, Test, All };
Split parse_split(const std::string& name);  // train | test | all; InputError otherwise
// Frame indices of the split; InputError naming `what` when the split is empty.
std::vector<size_t> split_frames(const io::Dataset& dataset, Split split, const std::string& what);

struct ImageScore {
  std::string name;
  double psnr = 0, ssim = 0;
};

struct EvalReport {
  std::vector<ImageScore> images;
  double psnr = 0, ssim = 0;  // means of the per-image values
  std::string to_json() const;
};

// Renders frame i of the dataset (background black), as (H, W, 3) float.
at::Tensor render_frame(const model::Gaussians& gaussians, const io::Frame& frame, const render::RenderSettings& s);
// PSNR (over the frame's mask when it has one) and SSIM of every frame in `frames`.
EvalReport evaluate(const model::Gaussians& gaussians, const io::Dataset& dataset, const std::vector<size_t>& frames,
                    const render::RenderSettings& settings);

}  // namespace ttgs::eval
