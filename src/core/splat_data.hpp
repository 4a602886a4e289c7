#pragma once
// Plain (LibTorch-free) storage of a 3DGS scene as read from or written to a .ply, and of a plain point cloud.
// Values are stored raw, as in the INRIA layout: log-scales, opacity logits, unnormalized quaternions (w, x, y, z),
// SH coefficients. model/gaussians converts to and from the tensor struct.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ttgs {

inline int sh_rest_count(int degree) { return (degree + 1) * (degree + 1) - 1; }

struct SplatData {
  size_t count = 0;
  int sh_degree = 0;
  std::vector<float> means;           // N*3
  std::vector<float> log_scales;      // N*3
  std::vector<float> quats;           // N*4, w x y z
  std::vector<float> opacity_logits;  // N
  std::vector<float> sh_dc;           // N*3
  std::vector<float> sh_rest;         // N*K*3, [n][k][c], K = sh_rest_count(sh_degree)

  void resize(size_t n, int degree);
  bool all_finite() const;  // no NaN or infinity in any attribute
};

struct PointCloud {
  std::vector<float> positions;  // N*3
  std::vector<float> colors;     // N*3 in [0, 1]; empty when the source had none
  size_t size() const { return positions.size() / 3; }
  bool has_colors() const { return !colors.empty(); }
};

struct SplatStats {
  size_t count = 0;
  int sh_degree = 0;
  double bounds_min[3]{}, bounds_max[3]{};
  double opacity_min = 0, opacity_mean = 0, opacity_max = 0;  // activated (sigmoid)
  double scale_min = 0, scale_median = 0, scale_max = 0;      // activated (exp), over all axes
};
SplatStats compute_stats(const SplatData& splats);

}  // namespace ttgs
