#pragma once
// The frames at the levels of the camera stage's coarse-to-fine schedule: downscaled photos, masks and intrinsics,
// and the targets the camera stage compares renders with (photos blurred by a Gaussian at that level).
#include <ATen/ATen.h>

#include <vector>

#include "io/dataset.hpp"
#include "render/project.hpp"
#include "train/view_cache.hpp"

namespace ttgs::refine {

// Which pixels a level's masks keep: the dataset's masks as training uses them (`kTraining`), none (`kNone`: the
// model covers what they hide), or for the camera stage only the static scene (`kStatic`: the dataset's masks
// always, and the actors' projected boxes taken out), downscaled by block minimum (a pixel any masked-out pixel
// falls in is out: a thin pole survives) or, for comparison, bilinearly (`kStaticBilinear`: block mean >= 0.5 is
// kept, so a one-pixel pole at factor 4 vanishes).
enum class LevelMasks { kTraining, kNone, kStatic, kStaticBilinear };

struct ImageLevel {
  train::ViewCache views;               // photos and masks at this level (the training core's 8-bit cache)
  std::vector<at::Tensor> static_masks; // kStatic: per dataset frame (H, W, 1), 0 on the actors' boxes
  std::vector<at::Tensor> blurred;      // per dataset frame: photos blurred by `blur` (the photos when blur = 0)
  std::vector<render::Intrinsics> intrinsics;  // at this level
  int factor = 1;   // downscale factor (box filter; masks by block minimum)
  double blur = 0;  // Gaussian sigma, pixels of this level
  at::Tensor mask(size_t frame) const {  // (h, w, 1) float or undefined (all pixels)
    return frame < static_masks.size() && static_masks[frame].defined() ? static_masks[frame] : views.mask(frame);
  }
};

// The `frames` of `dataset` at one level (other frames' entries stay undefined), masks as `masks` says.
ImageLevel make_image_level(const io::Dataset& dataset, const std::vector<size_t>& frames, int factor, double blur,
                            LevelMasks masks = LevelMasks::kTraining);

// An (H, W, C) image downscaled by an integer factor by block averages (remainder rows and columns dropped).
at::Tensor downscale_mean(const at::Tensor& image, int factor);

// A (H, W, 1) mask (1 = keep) downscaled by an integer factor: block minimum (`nearest`) or block mean >= 0.5.
at::Tensor downscale_mask(const at::Tensor& keep, int factor, bool nearest);

// A separable Gaussian blur of an (H, W, C) image (sigma in pixels; edges replicated).
at::Tensor gaussian_blur(const at::Tensor& image, double sigma);

}  // namespace ttgs::refine
