#pragma once
// Private to project.cpp: the float projection (forward and backward) on lanes of 16 Gaussians at a time, compiled
// once per instruction set from project_lanes.inc (as the tile loops are, see rasterize_tiles.hpp), on raw pointers
// only. Each lane runs the same arithmetic as the scalar project_forward_scalar / project_backward_scalar in
// project.cpp, which stay the obviously correct version the tests compare these against.
#include <cstdint>

#include "render/project.hpp"

namespace ttgs::render {

struct LaneArgs {
  GaussianParams<float> g;
  float W[9], t[3], centre[3];  // world-to-camera rotation (row-major) and translation; camera centre in the world
  float fx, fy, cx, cy, width, height;
  float near, far, eps2d, alpha_min;
  float x_lo, x_hi, y_lo, y_hi;  // guard band of x/z and y/z for the Jacobian
  bool antialiased, opacity_aware_extent;
  int degree;  // active SH degree
  // Forward outputs (every element written): Projected's arrays.
  float *mean2d, *conic, *depth, *opacity, *alpha_tau, *color;
  int32_t* radius;
  // Backward inputs: the forward's outputs and the gradients flowing into them (ProjectedGrads).
  const float *proj_conic, *proj_color;
  const int32_t* proj_radius;
  const float *grad_mean2d, *grad_conic, *grad_depth, *grad_opacity, *grad_color;
  // Backward outputs (every element written): GaussianGrads' arrays, and one d loss / d viewmat partial sum (16
  // values, row-major, last row 0) per block of Gaussians; block b holds [b n / blocks, (b + 1) n / blocks).
  float *d_means, *d_log_scales, *d_quats, *d_opacity_logits, *d_sh_dc, *d_sh_rest;
  float* d_viewmat_blocks;
  int64_t blocks;
};

#define TTGS_DECLARE_LANE_KERNELS(ns)           \
  namespace ns {                                \
  void project_forward_lanes(const LaneArgs& args);  \
  void project_backward_lanes(const LaneArgs& args); \
  }
TTGS_DECLARE_LANE_KERNELS(isa_baseline)
TTGS_DECLARE_LANE_KERNELS(isa_avx2)
TTGS_DECLARE_LANE_KERNELS(isa_avx512)
#undef TTGS_DECLARE_LANE_KERNELS

}  // namespace ttgs::render
