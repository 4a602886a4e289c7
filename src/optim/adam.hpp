#pragma once
// Adam over the six attribute tensors of model::Gaussians, with one learning rate per attribute, and state that
// follows the Gaussians through densification (select rows, append zero rows).
#include <ATen/ATen.h>

#include <array>
#include <string>

#include "model/gaussians.hpp"
#include "model/tensor_archive.hpp"

namespace ttgs::optim {

// 3DGS defaults; `means` is multiplied by the scene extent and decays exponentially to `means_final`.
struct LearningRates {
  double means = 1.6e-4, means_final = 1.6e-6, log_scales = 5e-3, quats = 1e-3, opacity = 0.05, sh_dc = 2.5e-3,
         sh_rest = 2.5e-3 / 20;
};

// Exponential (log-linear) interpolation from `initial` to `final` over [0, steps].
double exponential_decay(double initial, double final, int step, int steps);

// One bias-corrected Adam update of `p` in place (step count `t` >= 1, already incremented):
// p -= lr · m̂ / (sqrt(v̂) + eps). `lr` is a number or a tensor that broadcasts against p (0 freezes an entry).
void adam_update(at::Tensor& p, const at::Tensor& grad, at::Tensor& m, at::Tensor& v, const at::Tensor& lr, int64_t t,
                 double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-15);

class GaussianAdam {
 public:
  GaussianAdam(const model::Gaussians& g, const std::array<double, 6>& lr, double beta1 = 0.9, double beta2 = 0.999,
               double eps = 1e-15);
  // One step on every attribute whose tensor has a gradient; gradients are left as they are.
  void step(model::Gaussians& g);
  void set_lr(size_t attribute, double lr) { lr_[attribute] = lr; }
  double lr(size_t attribute) const { return lr_[attribute]; }
  // Keep only these rows (int64 indices) of every state.
  void select(const at::Tensor& indices);
  // Append `count` rows of zero state (new Gaussians).
  void append(int64_t count);
  // Zero the state of one attribute (e.g. after an opacity reset).
  void reset(size_t attribute);
  // Zero the state of these rows (int64 indices) in every attribute (relocated Gaussians).
  void zero_rows(const at::Tensor& indices);
  // Moments, step count and rates, under names starting with `prefix`, for checkpoints.
  void save(model::TensorArchive& archive, const std::string& prefix) const;
  void load(const model::TensorArchive& archive, const std::string& prefix);
  int64_t steps() const { return t_; }
  // A deep copy (the state tensors are cloned), for snapshots.
  GaussianAdam clone() const;

 private:
  std::array<at::Tensor, 6> m_, v_;
  std::array<double, 6> lr_;
  double beta1_, beta2_, eps_;
  int64_t t_ = 0;
};

// Attribute order used by GaussianAdam and Gaussians::tensors().
enum Attribute : size_t { kMeans = 0, kLogScales, kQuats, kOpacity, kShDc, kShRest };

}  // namespace ttgs::optim
