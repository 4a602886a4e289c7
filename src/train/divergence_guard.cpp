#include "train/divergence_guard.hpp"

#include <c10/core/GradMode.h>
#include <stdexcept>

#include "core/log.hpp"

namespace ttgs::train {

bool all_finite(const std::vector<const at::Tensor*>& tensors) {
  c10::NoGradGuard no_grad;
  for (const at::Tensor* t : tensors)
    if (t->defined() && !t->isfinite().all().item<bool>()) return false;
  return true;
}

DivergenceGuard::DivergenceGuard(const GuardOptions& options, const std::vector<at::Tensor*>& params,
                                 const optim::Adam& adam, int step)
    : options_(options) {
  keep(step, params, adam);
}

void DivergenceGuard::keep(int step, const std::vector<at::Tensor*>& params, const optim::Adam& adam) {
  kept_.clear();
  requires_grad_.clear();
  for (const at::Tensor* p : params) {
    kept_.push_back(p->detach().clone());
    requires_grad_.push_back(p->requires_grad());
  }
  kept_adam_ = adam.clone();
  kept_step_ = step;
}

bool DivergenceGuard::check(int step, const std::vector<at::Tensor*>& params, optim::Adam& adam, bool force) {
  if (!force && (options_.snapshot_every <= 0 || step % options_.snapshot_every != 0)) return true;
  if (all_finite(std::vector<const at::Tensor*>(params.begin(), params.end()))) {
    keep(step, params, adam);
    return true;
  }
  roll_back(step, "a parameter became NaN or infinite", params, adam);
  return false;
}

void DivergenceGuard::roll_back(int step, const std::string& what, const std::vector<at::Tensor*>& params,
                                optim::Adam& adam) {
  if (params.size() != kept_.size()) throw std::invalid_argument("DivergenceGuard: parameter count changed");
  if (++rollbacks_ > options_.max_rollbacks)
    throw std::runtime_error(what + " at step " + std::to_string(step) + ", still after " +
                             std::to_string(options_.max_rollbacks) + " rollbacks; nothing written");
  for (size_t k = 0; k < params.size(); ++k) *params[k] = kept_[k].clone().requires_grad_(requires_grad_[k]);
  adam = kept_adam_.clone();
  lr_scale_ *= 0.5;
  warn(what + " at step " + std::to_string(step) + ": rolled back to step " + std::to_string(kept_step_) +
       " and halved the learning rates");
}

}  // namespace ttgs::train
