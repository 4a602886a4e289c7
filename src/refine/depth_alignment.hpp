#pragma once
// Robust alignment of a monocular depth prior to the rendered depth, in disparity space:
//     1 / d_render ≈ s · (1 / d_prior) + t,
// fitted by RANSAC (minimal samples solved by least squares, the consensus set refitted) so that wrong prior pixels
// (sky, moving objects, a bad network) become outliers instead of bending the fit. No LibTorch.
#include <cstdint>
#include <vector>

namespace ttgs::refine {

struct RansacOptions {
  int sample_size = 2;             // pixels per hypothesis (>= 2: a line has two unknowns)
  double inlier_threshold = 0.05;  // |residual| <= threshold x median |target|: an inlier
  int iterations = 200;
  uint64_t seed = 0;
  int64_t max_points = 50000;      // hypotheses are scored on at most this many pixels (evenly spaced)
};

struct AffineFit {
  bool ok = false;       // false: fewer valid pairs than the sample size, or no consistent line
  double scale = 1, shift = 0;
  std::vector<uint8_t> inliers;  // per input element (0 where invalid)
  int64_t num_inliers = 0, num_valid = 0;
};

// target ≈ scale · source + shift over the elements where valid != 0 (and both values are finite).
AffineFit fit_affine_ransac(const std::vector<float>& source, const std::vector<float>& target,
                            const std::vector<uint8_t>& valid, const RansacOptions& options);

}  // namespace ttgs::refine
