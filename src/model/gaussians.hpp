#pragma once
// The Gaussian model: a struct of tensors with one row per Gaussian. Parameters are stored raw (pre-activation),
// exactly as the INRIA .ply holds them, so an export is a copy.
#include <ATen/ATen.h>

#include <vector>

#include "core/splat_data.hpp"

namespace ttgs::model {

constexpr double kShC0 = 0.28209479177387814;  // the degree-0 real spherical harmonic

struct Gaussians {
  at::Tensor means;           // (N, 3)
  at::Tensor log_scales;      // (N, 3)
  at::Tensor quats;           // (N, 4) w x y z, unit after normalization
  at::Tensor opacity_logits;  // (N, 1)
  at::Tensor sh_dc;           // (N, 3)
  at::Tensor sh_rest;         // (N, (d+1)^2 - 1, 3)
  // Which part of a scene each Gaussian belongs to: (N) int64, -1 = static (world frame), k >= 0 = actor k (in its
  // box frame, placed at each timestamp by its track). Undefined: all static. Not trainable; follows the rows.
  at::Tensor part;

  int64_t size() const { return means.defined() ? means.size(0) : 0; }
  int sh_degree() const;
  at::Tensor scales() const;     // exp(log_scales)
  at::Tensor rotations() const;  // normalized quaternions
  at::Tensor opacities() const;  // sigmoid(opacity_logits)
  at::Tensor base_colors() const;  // RGB of the DC term: 0.5 + C0 * sh_dc
  std::vector<at::Tensor*> tensors();  // the six trainable attributes (not `part`)
  std::vector<const at::Tensor*> tensors() const;
  at::Tensor parts() const;  // `part`, or all -1 when undefined

  Gaussians to(const at::Device& device) const;
  Gaussians clone() const;  // detached deep copy (no shared storage, no graph)
  Gaussians select(const at::Tensor& mask_or_indices) const;  // bool mask (N) or int64 indices
  // Throws std::invalid_argument naming the first tensor whose shape or dtype is wrong.
  void check() const;
};

Gaussians concat(const Gaussians& a, const Gaussians& b);
at::Tensor quaternion_to_rotation(const at::Tensor& quats);  // (N, 4) w x y z, any norm -> (N, 3, 3)
Gaussians from_splat_data(const SplatData& s);  // float32 CPU tensors
SplatData to_splat_data(const Gaussians& g);

}  // namespace ttgs::model
