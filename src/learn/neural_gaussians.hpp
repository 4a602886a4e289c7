#pragma once
// 3D neural Gaussians (G3R): every point carries a state of 14 Gaussian channels — position 3, log-scale 3,
// quaternion 4 (w x y z), RGB 3 (DC colour, 0.5 = grey), opacity 1 (logit) — followed by a latent vector. A decoder,
// one linear layer with tanh added as a residual to the first 14 channels, turns a state into explicit Gaussians.
#include <ATen/ATen.h>

#include <cstdint>

#include "core/splat_data.hpp"
#include "model/gaussians.hpp"

namespace ttgs::learn {

constexpr int64_t kGaussianChannels = 14;
// Offsets of the channel groups within a state row.
enum Channel : int64_t { kPosition = 0, kLogScale = 3, kQuaternion = 6, kColor = 10, kOpacity = 13 };

struct NeuralInitOptions {
  int64_t latent = 32;
  double opacity = 0.7;
  double latent_std = 0.1;
  uint64_t seed = 0;
};

// One state per scaffold point: scale = distance to the 3rd nearest neighbour, identity rotation, the point's colour
// (grey without one), the given opacity, a random latent (seeded). (N, 14 + latent) float.
at::Tensor init_neural_state(const PointCloud& points, const NeuralInitOptions& options);

// explicit = state[:, :14] + tanh(state · Wᵀ + b); W (14, C), b (14). Zero-initialised, so a fresh decoder passes
// the state's Gaussian channels through unchanged.
struct Decoder {
  at::Tensor weight, bias;
  static Decoder zeros(int64_t state_channels);
  at::Tensor decode(const at::Tensor& state) const;  // (N, C) -> (N, 14)
};

// Explicit channels (N, 14) -> the renderer's Gaussians (SH degree 0), differentiable.
model::Gaussians to_gaussians(const at::Tensor& explicit_channels);

}  // namespace ttgs::learn
