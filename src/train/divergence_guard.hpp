#pragma once
// The divergence guard of every training loop: it keeps the last good state (parameters and optimizer) every
// `snapshot_every` steps, and when the loss or a parameter stops being finite it rolls back to that state, halves
// the learning rates (lr_scale) and warns; more than `max_rollbacks` rollbacks end the run with an error.
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "optim/adam.hpp"

namespace ttgs::train {

struct GuardOptions {
  int snapshot_every = 100;  // 0: only the initial state
  int max_rollbacks = 5;
};

// True when every entry of every tensor is finite.
bool all_finite(const std::vector<const at::Tensor*>& tensors);

class DivergenceGuard {
 public:
  // The initial snapshot: the parameters (cloned) and the optimizer at `step`.
  DivergenceGuard(const GuardOptions& options, const std::vector<at::Tensor*>& params, const optim::Adam& adam,
                  int step);
  // At a due step (or when `force`): keeps a snapshot when the parameters are finite, else rolls back (a NaN in a
  // parameter no view sees leaves the loss finite). Returns false when it rolled back.
  bool check(int step, const std::vector<at::Tensor*>& params, optim::Adam& adam, bool force = false);
  // Keeps a snapshot now (a state whose loss is known to be good, e.g. the lowest so far).
  void keep_now(int step, const std::vector<at::Tensor*>& params, const optim::Adam& adam) { keep(step, params, adam); }
  // Restores the snapshot (requires_grad as it was), halves lr_scale and warns "<what> at step <step>: rolled
  // back ...". Throws std::runtime_error once the rollbacks exceed max_rollbacks.
  void roll_back(int step, const std::string& what, const std::vector<at::Tensor*>& params, optim::Adam& adam);

  double lr_scale() const { return lr_scale_; }
  int rollbacks() const { return rollbacks_; }
  // The snapshot, for checkpoints (a checkpoint holds the last good state, never a diverged one).
  const std::vector<at::Tensor>& kept() const { return kept_; }
  const optim::Adam& kept_optimizer() const { return kept_adam_; }
  int kept_step() const { return kept_step_; }
  // Counters of a resumed run.
  void restore_counters(int rollbacks, double lr_scale) {
    rollbacks_ = rollbacks;
    lr_scale_ = lr_scale;
  }

 private:
  void keep(int step, const std::vector<at::Tensor*>& params, const optim::Adam& adam);
  GuardOptions options_;
  std::vector<at::Tensor> kept_;
  std::vector<bool> requires_grad_;
  optim::Adam kept_adam_;
  int kept_step_ = 0, rollbacks_ = 0;
  double lr_scale_ = 1;
};

}  // namespace ttgs::train
