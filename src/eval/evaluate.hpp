#pragma once
// Renders a Gaussian scene into a dataset's views and measures it against the photos.
#include <string>
#include <vector>

#include "eval/lpips.hpp"
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
  double lpips = 0;  // only with an LPIPS model
};

struct EvalReport {
  std::vector<ImageScore> images;
  double psnr = 0, ssim = 0;  // means of the per-image values
  bool has_lpips = false;
  double lpips = 0;
  // {"psnr", "ssim", "lpips" (null with "lpips_note" when unavailable), "num_images", "per_image"}
  std::string to_json() const;
};

// Renders frame i of the dataset (background black), as (H, W, 3) float.
at::Tensor render_frame(const model::Gaussians& gaussians, const io::Frame& frame, const render::RenderSettings& s);
// PSNR (over the frame's mask when it has one), SSIM and, given a model, LPIPS of every frame in `frames`.
EvalReport evaluate(const model::Gaussians& gaussians, const io::Dataset& dataset, const std::vector<size_t>& frames,
                    const render::RenderSettings& settings, const LpipsModel* lpips = nullptr);
extern const char* const kLpipsUnavailable;  // the note reported in place of LPIPS

}  // namespace ttgs::eval
