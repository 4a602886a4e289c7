#include <c10/core/GradMode.h>
#include <algorithm>
#include <cmath>

#include "optim/strategy.hpp"

namespace ttgs::optim {
namespace {

class DefaultStrategy : public IStrategy {
 public:
  explicit DefaultStrategy(const DefaultStrategyOptions& o) : o_(o) {}

  void after_backward(const model::Gaussians& g, const render::RenderResult& r, const StrategyContext& c) override {
    if (c.step >= o_.refine_stop || !r.means2d_grad->defined()) return;
    c10::NoGradGuard no_grad;
    ensure_size(g.size());
    // Screen-space gradient in normalized device units (pixels x half the image size), as 3DGS thresholds it.
    const at::Tensor grad = *r.means2d_grad * at::tensor({0.5 * c.width, 0.5 * c.height}, r.means2d_grad->options());
    const at::Tensor visible = r.visible;
    grad_sum_ += grad.norm(2, {1}) * visible.to(grad_sum_.scalar_type());
    count_ += visible.to(count_.scalar_type());
    max_radius_ = at::maximum(max_radius_, r.radii.to(max_radius_.scalar_type()));
  }

  int refine_end(int total_steps) const override { return optim::refine_end(o_.refine_stop, total_steps); }

  void after_step(model::Gaussians& g, Adam& adam, const StrategyContext& c) override {
    c10::NoGradGuard no_grad;
    const int s = c.step;
    const int stop = refine_end(c.total_steps);
    bool changed = false;
    if (s > o_.refine_start && s < stop && s % o_.refine_every == 0) {
      densify_and_prune(g, adam, c);
      changed = true;
    }
    const bool settles = c.total_steps <= 0 || s + o_.reset_every / 3 <= c.total_steps;
    if (s < o_.refine_stop && s % o_.reset_every == 0 && settles) {
      const double cap = std::log(0.01 / 0.99);
      g.opacity_logits = g.opacity_logits.detach().clamp_max(cap);
      adam.reset(kOpacity);
      changed = true;
    }
    if (changed) make_trainable(g);
  }

  void save_state(model::TensorArchive& a) const override {
    if (!grad_sum_.defined()) return;
    a.add("strategy.grad_sum", grad_sum_);
    a.add("strategy.count", count_);
    a.add("strategy.max_radius", max_radius_);
  }

  void load_state(const model::TensorArchive& a) override {
    if (!a.has("strategy.grad_sum")) return;
    grad_sum_ = a.get("strategy.grad_sum").clone();
    count_ = a.get("strategy.count").clone();
    max_radius_ = a.get("strategy.max_radius").clone();
  }

 private:
  void ensure_size(int64_t n) {
    if (grad_sum_.defined() && grad_sum_.size(0) == n) return;
    grad_sum_ = at::zeros({n}, at::kFloat);
    count_ = at::zeros({n}, at::kFloat);
    max_radius_ = at::zeros({n}, at::kFloat);
  }

  void densify_and_prune(model::Gaussians& g, Adam& adam, const StrategyContext& c) {
    ensure_size(g.size());
    const int64_t n = g.size();
    const at::Tensor mean_grad = grad_sum_ / count_.clamp_min(1);
    const at::Tensor max_scale = std::get<0>(g.log_scales.detach().max(1)).exp();
    at::Tensor candidates = mean_grad >= o_.grad_threshold;
    // Respect the cap: keep the strongest candidates when there is no room for all of them.
    const int64_t room = std::max<int64_t>(0, o_.max_gaussians - n);
    if (candidates.sum().item<int64_t>() > room) {
      const at::Tensor score = at::where(candidates, mean_grad, at::full_like(mean_grad, -1));
      const at::Tensor top = std::get<1>(score.topk(room));
      candidates = at::zeros_like(candidates);
      if (room > 0) candidates.index_fill_(0, top, true);
    }
    const at::Tensor small = max_scale <= o_.dense_fraction * c.scene_extent;
    const at::Tensor clone_idx = (candidates & small).nonzero().squeeze(1);
    const at::Tensor split_idx = (candidates & ~small).nonzero().squeeze(1);
    // Clones: exact copies. Splits: two samples from the Gaussian itself, scales divided by 1.6.
    model::Gaussians clones = g.select(clone_idx);
    model::Gaussians halves = g.select(split_idx.repeat({2}));
    if (halves.size() > 0) {
      const at::Tensor scales = halves.log_scales.exp();
      const at::Tensor R = model::quaternion_to_rotation(halves.quats);
      const at::Tensor offset = at::matmul(R, (at::randn_like(scales) * scales).unsqueeze(2)).squeeze(2);
      halves.means = halves.means + offset;
      halves.log_scales = (scales / 1.6).log();
    }
    const int64_t added = clones.size() + halves.size();
    model::Gaussians grown = model::concat(model::concat(g, clones), halves);
    adam.append(added);
    // Drop the split originals, the transparent, and (after the first reset) the oversized.
    at::Tensor remove = at::zeros({grown.size()}, at::kBool);
    if (split_idx.numel() > 0) remove.index_fill_(0, split_idx, true);
    remove = remove | (grown.opacities().squeeze(1) < o_.prune_opacity);
    if (c.step > o_.reset_every) {
      const at::Tensor big_world = std::get<0>(grown.log_scales.max(1)).exp() > o_.max_world_scale * c.scene_extent;
      at::Tensor big_screen = at::cat({max_radius_ > o_.max_screen_radius, at::zeros({added}, at::kBool)});
      remove = remove | big_world | big_screen;
    }
    const at::Tensor keep = (~remove).nonzero().squeeze(1);
    g = grown.select(keep);
    adam.select(keep);
    grad_sum_ = at::Tensor();
    ensure_size(g.size());
  }

  DefaultStrategyOptions o_;
  at::Tensor grad_sum_, count_, max_radius_;
};

}  // namespace

std::unique_ptr<IStrategy> make_default_strategy(const DefaultStrategyOptions& options) {
  return std::make_unique<DefaultStrategy>(options);
}

namespace {
class FixedStrategy final : public IStrategy {
 public:
  void after_backward(const model::Gaussians&, const render::RenderResult&, const StrategyContext&) override {}
  void after_step(model::Gaussians&, Adam&, const StrategyContext&) override {}
};
}  // namespace

std::unique_ptr<IStrategy> make_fixed_strategy() { return std::make_unique<FixedStrategy>(); }

void make_trainable(model::Gaussians& g) {
  for (at::Tensor* t : g.tensors()) *t = t->detach().contiguous().requires_grad_(true);
}

}  // namespace ttgs::optim
