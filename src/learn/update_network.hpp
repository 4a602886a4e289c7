#pragma once
// The update network of the learned optimizer (G3R): per point it takes [state, normalized gradient, timestep
// encoding], lifts a point feature into a sparse voxel U-Net (3x3x3 sparse convolutions, residual blocks, 2-3
// resolution levels joined by mean pooling and copy-up), brings the voxel features back to the points and predicts an
// update through tanh. The state enters scale-free (scale_free_state); the gradient comes normalized (lift.hpp). LibTorch autograd gives its backward; parameters are plain named tensors.
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "learn/sparse_conv.hpp"

namespace ttgs::learn {

struct UpdateNetworkConfig {
  int64_t state_channels = 14 + 32;
  int64_t hidden = 32;          // channels at the finest level, doubled at each coarser one
  int levels = 3;               // 2 or 3
  int64_t time_channels = 8;    // sinusoidal encoding of t / T
  double voxel_size = 0.05;     // finest voxel edge, scene units
};

class UpdateNetwork {
 public:
  // Weights drawn from N(0, 1/fan_in) with the seed; the output layer starts at a tenth of that, so early updates
  // are small.
  UpdateNetwork(const UpdateNetworkConfig& config, uint64_t seed);

  // (N, C) state and normalized gradient, step t of T -> (N, C) update in (-1, 1).
  at::Tensor forward(const at::Tensor& state, const at::Tensor& gradient, int step, int total_steps) const;

  const UpdateNetworkConfig& config() const { return config_; }
  void set_voxel_size(double size) { config_.voxel_size = size; }
  std::vector<std::pair<std::string, at::Tensor>>& parameters() { return params_; }
  const std::vector<std::pair<std::string, at::Tensor>>& parameters() const { return params_; }

 private:
  const at::Tensor& p(const std::string& name) const;
  at::Tensor residual_block(const at::Tensor& f, const VoxelLevel& level, const std::string& name) const;

  UpdateNetworkConfig config_;
  std::vector<std::pair<std::string, at::Tensor>> params_;
};

// What the network reads of a state, free of the scene's scale and placement: the position as its offset within
// its finest voxel (in [-1, 1)), the log-scales relative to the voxel's, the other channels as they are.
at::Tensor scale_free_state(const at::Tensor& state, double voxel_size);

// Sinusoidal features of t / T: (time_channels) = [sin(2^k π t/T), cos(2^k π t/T)] for k < time_channels / 2.
at::Tensor timestep_encoding(int step, int total_steps, int64_t channels);
// γ_t = γ_0 · (1 + cos(π t / T)) / 2: the step size of update t (0-based) of T.
double cosine_step_size(int step, int total_steps, double gamma0);

}  // namespace ttgs::learn
