#pragma once
// Projection of 3D Gaussians to screen space (forward and analytic backward), LibTorch-free and templated on the
// scalar type (float for training, double for gradient checks).
//
// Conventions: viewmat is the 4x4 world-to-camera matrix (row-major) in OpenCV axes; pixel (i, j) has its centre at
// (i + 0.5, j + 0.5). The 2D covariance is J W Σ Wᵀ Jᵀ with the EWA Jacobian J evaluated at the camera-space mean
// (x/z and y/z clamped to a guard band of `guard` x the half field of view), dilated by eps2d·I. In antialiased mode
// the opacity is multiplied by sqrt(det(cov) / det(cov + eps2d·I)) (Mip-Splatting's compensation).
// Colours are SH evaluated at the unit direction from the camera centre to the mean, plus 0.5, clamped at 0.
#include <cstdint>
#include <vector>

#include "core/output_buffer.hpp"

namespace ttgs::render {

struct Intrinsics {
  double fx = 1, fy = 1, cx = 0, cy = 0;
  int width = 0, height = 0;
};

struct RasterConfig {
  double near = 0.01, far = 1e10;
  double eps2d = 0.3;         // low-pass dilation in pixels²
  bool antialiased = false;   // opacity compensation for the dilation
  double guard = 1.3;         // Jacobian clamp, in units of the half field of view
  // Screen extent: 3 sigma, or (default) only as far as alpha can still reach alpha_min, i.e. sigma times
  // min(3, sqrt(2 ln(opacity / alpha_min))). The image is the same either way; the opacity-aware square is smaller.
  bool opacity_aware_extent = true;
  int sh_degree = 3;          // active SH degree (clipped to what the Gaussians store)
  double alpha_min = 1.0 / 255, alpha_max = 0.99, transmittance_min = 1e-4;
};

template <typename T>
struct GaussianParams {
  int64_t n = 0;
  int sh_coeffs = 1;  // K = (degree + 1)²
  const T* means = nullptr;           // n x 3
  const T* log_scales = nullptr;      // n x 3
  const T* quats = nullptr;           // n x 4 (w x y z, any norm)
  const T* opacity_logits = nullptr;  // n
  const T* sh_dc = nullptr;           // n x 3: SH coefficient 0
  const T* sh_rest = nullptr;         // n x (K - 1) x 3: coefficients 1 .. K - 1 (as model::Gaussians holds them)
};

template <typename T>
struct Projected {
  int64_t n = 0;
  std::vector<T> mean2d;   // n x 2
  std::vector<T> conic;    // n x 3: inverse 2D covariance (a, b, c) = [[a, b], [b, c]]
  std::vector<T> depth;    // n: camera z
  std::vector<T> opacity;  // n: sigmoid(logit) x compensation
  // n: 2 ln(opacity / alpha_min), or -1 when opacity < alpha_min: alpha reaches alpha_min where the conic's quadratic
  // form a dx² + 2 b dx dy + c dy² <= alpha_tau (see footprint.hpp).
  std::vector<T> alpha_tau;
  std::vector<T> color;    // n x 3
  std::vector<int32_t> radius;  // n: half-size of the square screen extent in pixels; 0 = culled
};

// Gradients flowing into the projection's outputs.
template <typename T>
struct ProjectedGrads {
  std::vector<T> mean2d, conic, depth, opacity, color;
  void resize(int64_t n);
};

template <typename T>
struct GaussianGrads {
  // Every element written by project_backward; sh_dc n x 3, sh_rest n x (K - 1) x 3.
  OutputBuffer<T> means, log_scales, quats, opacity_logits, sh_dc, sh_rest;
  T viewmat[16] = {};  // d loss / d world-to-camera matrix (last row stays 0)
  void resize(int64_t n, int sh_coeffs);  // sizes only (no zero-fill)
};

// In float, forward and backward run 16 Gaussians at a time in vector instructions (project_lanes.inc, the widest
// instruction set the machine has, as the tile loops); in double, and as the obviously correct version the tests
// compare the lanes against, the scalar loops (*_scalar), one Gaussian at a time. Both write every output element.
template <typename T>
void project_forward_scalar(const GaussianParams<T>& g, const T* viewmat, const Intrinsics& intr,
                            const RasterConfig& cfg, Projected<T>& out);
template <typename T>
void project_backward_scalar(const GaussianParams<T>& g, const T* viewmat, const Intrinsics& intr,
                             const RasterConfig& cfg, const Projected<T>& proj, const ProjectedGrads<T>& grad_in,
                             GaussianGrads<T>& grad_out);

template <typename T>
void project_forward(const GaussianParams<T>& g, const T* viewmat, const Intrinsics& intr, const RasterConfig& cfg,
                     Projected<T>& out);

template <typename T>
void project_backward(const GaussianParams<T>& g, const T* viewmat, const Intrinsics& intr, const RasterConfig& cfg,
                      const Projected<T>& proj, const ProjectedGrads<T>& grad_in, GaussianGrads<T>& grad_out);

}  // namespace ttgs::render
