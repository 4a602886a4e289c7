#pragma once
// One Adam over groups of tensors, used by fit, refine and learn: each group has its own learning rate (optionally
// per entry), the step count is shared, and row operations keep the state in step with a model whose rows change
// (densification: select rows, append zero rows). Schedules for the learning rates live in schedule.hpp.
#include <ATen/ATen.h>

#include <array>
#include <string>
#include <vector>

#include "model/gaussians.hpp"
#include "model/tensor_archive.hpp"

namespace ttgs::optim {

// 3DGS defaults; `means` is multiplied by the scene extent and decays exponentially to `means_final`.
struct LearningRates {
  double means = 1.6e-4, means_final = 1.6e-6, log_scales = 5e-3, quats = 1e-3, opacity = 0.05, sh_dc = 2.5e-3,
         sh_rest = 2.5e-3 / 20;
};

// One bias-corrected Adam update of `p` in place (step count `t` >= 1, already incremented):
// p -= lr · m̂ / (sqrt(v̂) + eps). `lr` is a number or a tensor that broadcasts against p (0 freezes an entry).
void adam_update(at::Tensor& p, const at::Tensor& grad, at::Tensor& m, at::Tensor& v, const at::Tensor& lr, int64_t t,
                 double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-15);

struct AdamSettings {
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-15;
};

class Adam {
 public:
  explicit Adam(const AdamSettings& settings = {}) : settings_(settings) {}
  // A group with zero state shaped like `param`; returns its index (the position of its tensor in step()'s list).
  // `rows`: the group's first dimension is the model's rows, so the row operations below apply to it.
  size_t add_group(const std::string& name, const at::Tensor& param, double lr, bool rows = true);
  size_t num_groups() const { return groups_.size(); }
  const std::string& name(size_t group) const { return groups_.at(group).name; }

  // One step: params[k] is group k's tensor; groups whose tensor has no gradient are skipped; gradients stay.
  void step(const std::vector<at::Tensor*>& params);
  void set_lr(size_t group, double lr) { groups_.at(group).lr = lr; }
  double lr(size_t group) const { return groups_.at(group).lr; }
  // Per-entry factors on a group's rate (broadcast against its tensor; 0 freezes an entry; undefined: none).
  void set_lr_factors(size_t group, const at::Tensor& factors) { groups_.at(group).lr_factors = factors; }

  // Row operations on the state of every group that follows the rows (one row per Gaussian).
  void select(const at::Tensor& indices);  // keep these rows (int64 indices)
  void append(int64_t count);              // append zero rows
  void zero_rows(const at::Tensor& indices);
  void reset(size_t group);                // zero one group's state (e.g. after an opacity reset)

  // Moments, rates and step count under names starting with `prefix`, for checkpoints. load() throws InputError
  // naming the archive when it holds another number of groups or inconsistent moments.
  void save(model::TensorArchive& archive, const std::string& prefix) const;
  void load(const model::TensorArchive& archive, const std::string& prefix);
  int64_t steps() const { return t_; }
  void set_steps(int64_t t) { t_ = t; }
  // Every group's first and second moments (m0, v0, m1, v1, ...), e.g. for copying the state to other processes.
  std::vector<at::Tensor*> moments();
  Adam clone() const;  // state tensors cloned, for snapshots

 private:
  struct Group {
    std::string name;
    at::Tensor m, v, lr_factors;
    double lr = 0;
    bool rows = true;
  };
  AdamSettings settings_;
  std::vector<Group> groups_;
  int64_t t_ = 0;
};

// Attribute order of Gaussians::tensors(), which is also the order of the groups of gaussian_adam().
enum Attribute : size_t { kMeans = 0, kLogScales, kQuats, kOpacity, kShDc, kShRest };

// Adam over the six attribute tensors of the Gaussians, one rate each (in Attribute order).
Adam gaussian_adam(const model::Gaussians& g, const std::array<double, 6>& lr, const AdamSettings& settings = {});

// The rates of gaussian_adam() from the 3DGS learning rates (positions scaled by the scene extent).
std::array<double, 6> gaussian_rates(const LearningRates& lr, double scene_extent);

}  // namespace ttgs::optim
