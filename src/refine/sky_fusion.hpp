#pragma once
// Sky fusion for the depth prior (no LibTorch). A monocular prior and the current model often disagree about what is
// sky: the prior puts it at (near) infinite depth or leaves it empty, the model shows nothing there or carries
// floaters. Sky pixels have no depth to align to, so they are taken out of the RANSAC alignment and the depth loss.
//
// Seeds: pixels in the top rows that both call sky (prior: no value or a disparity far below the image's median;
// model: accumulated alpha below a threshold). From them the region grows (4-connected) through pixels that at least
// one of the two calls sky, and never steps across a strong image edge (a luminance jump between neighbours), so a hole in the
// model below the horizon, or a far wall the prior gets wrong, is not swallowed unless it connects to the sky without
// crossing an edge.
#include <cstdint>
#include <vector>

namespace ttgs::refine {

struct SkyFusionOptions {
  double seed_rows = 0.1;        // seeds come from this top fraction of the rows
  double far_disparity = 0.05;   // prior says sky: disparity below this fraction of the median positive disparity
  double model_alpha = 0.5;      // model says sky: accumulated alpha below this
  double edge_threshold = 0.08;  // strong edge: neighbours' luminance differs by more than this
};

struct SkyMask {
  std::vector<uint8_t> sky;  // H x W, 1 = sky
  int64_t seeds = 0, pixels = 0;
};

// prior_disparity: H x W (0 or less = no prior value); alpha: H x W rendered alpha; luminance: H x W in [0, 1].
SkyMask fuse_sky(const std::vector<float>& prior_disparity, const std::vector<float>& alpha,
                 const std::vector<float>& luminance, int height, int width, const SkyFusionOptions& options);

}  // namespace ttgs::refine
