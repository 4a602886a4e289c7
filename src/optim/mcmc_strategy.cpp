// 3DGS as Markov Chain Monte Carlo (Kheradmand et al. 2024): a fixed budget of Gaussians; dead ones (opacity below
// a threshold) are relocated onto live ones sampled by opacity, with opacity and scale chosen so the rendered sum is
// preserved (the paper's Eq. 9); the count grows by 5% per refinement up to the cap; every step adds noise to the
// positions, scaled by the covariance and large only for nearly transparent Gaussians; L1 regularizers on opacity
// and scale keep the chain moving.
#include <c10/core/GradMode.h>
#include <algorithm>
#include <cmath>
#include <vector>

#include "optim/strategy.hpp"

namespace ttgs::optim {
namespace {

// New opacity and scale factor for a Gaussian replaced by `n` copies of itself (Eq. 9 of the MCMC paper).
struct Relocated {
  double opacity, scale_factor;
};
Relocated relocate(double opacity, int n) {
  opacity = std::clamp(opacity, 1e-6, 1 - 1e-6);
  const double o_new = 1 - std::pow(1 - opacity, 1.0 / n);
  double denom = 0;
  for (int i = 1; i <= n; ++i) {
    double binom = 1;  // C(i-1, k)
    for (int k = 0; k <= i - 1; ++k) {
      denom += binom * ((k % 2) ? -1.0 : 1.0) * std::pow(o_new, k + 1) / std::sqrt(k + 1.0);
      binom = binom * double(i - 1 - k) / double(k + 1);
    }
  }
  return {o_new, opacity / denom};
}

class McmcStrategy : public IStrategy {
 public:
  explicit McmcStrategy(const McmcStrategyOptions& o) : o_(o) {}

  void after_backward(const model::Gaussians&, const render::RenderResult&, const StrategyContext&) override {}

  at::Tensor regularizer(const model::Gaussians& g) const override {
    return o_.opacity_reg * g.opacities().abs().mean() + o_.scale_reg * g.scales().abs().mean();
  }

  int refine_end(int total_steps) const override { return optim::refine_end(o_.refine_stop, total_steps); }

  void after_step(model::Gaussians& g, Adam& adam, const StrategyContext& c) override {
    c10::NoGradGuard no_grad;
    const int stop = refine_end(c.total_steps);
    const int s = c.step;
    if (s > o_.refine_start && s < stop && s % o_.refine_every == 0) {
      relocate_dead(g, adam);
      grow(g, adam);
      make_trainable(g);
    }
    add_noise(g, adam.lr(kMeans));
  }

 private:
  // Sample `count` indices among `candidates` (int64) with probability proportional to opacity.
  at::Tensor sample_by_opacity(const model::Gaussians& g, const at::Tensor& candidates, int64_t count) const {
    const at::Tensor p = g.opacities().squeeze(1).index_select(0, candidates).clamp_min(1e-12);
    return candidates.index_select(0, at::multinomial(p, count, /*replacement=*/true));
  }

  // Gives each Gaussian in `sources` (distinct indices) the opacity and scale of one of its `copies_per_source`
  // copies, in place.
  void split_among_copies(model::Gaussians& g, const at::Tensor& sources, const at::Tensor& copies_per_source) const {
    const at::Tensor idx = sources.contiguous();
    const at::Tensor n = copies_per_source.contiguous();
    const at::Tensor op = g.opacities().squeeze(1).index_select(0, idx).to(at::kDouble).contiguous();
    std::vector<double> logit(idx.numel()), dlog(idx.numel());
    const double* po = op.data_ptr<double>();
    const int64_t* pn = n.data_ptr<int64_t>();
    for (int64_t i = 0; i < idx.numel(); ++i) {
      const Relocated r = relocate(po[i], int(std::min<int64_t>(pn[i], o_.max_copies)));
      const double o_new = std::clamp(r.opacity, o_.min_opacity, 1 - 1e-6);
      logit[i] = std::log(o_new / (1 - o_new));
      dlog[i] = std::log(r.scale_factor);
    }
    const auto opts = at::TensorOptions().dtype(at::kDouble);
    g.opacity_logits.index_put_({idx}, at::tensor(logit, opts).to(g.opacity_logits.scalar_type()).unsqueeze(1));
    g.log_scales.index_put_({idx}, g.log_scales.index_select(0, idx) +
                                       at::tensor(dlog, opts).to(g.log_scales.scalar_type()).unsqueeze(1));
  }

  void relocate_dead(model::Gaussians& g, Adam& adam) const {
    const at::Tensor opacity = g.opacities().squeeze(1);
    const at::Tensor dead = (opacity <= o_.min_opacity).nonzero().squeeze(1);
    const at::Tensor alive = (opacity > o_.min_opacity).nonzero().squeeze(1);
    if (dead.numel() == 0 || alive.numel() == 0) return;
    const at::Tensor picked = sample_by_opacity(g, alive, dead.numel());
    // Each picked source ends up as (times picked + 1) copies: itself and its relocated dead.
    const at::Tensor counts = at::bincount(picked, {}, g.size());
    const at::Tensor sources = (counts > 0).nonzero().squeeze(1);
    split_among_copies(g, sources, counts.index_select(0, sources) + 1);
    for (at::Tensor* t : g.tensors()) t->index_put_({dead}, t->index_select(0, picked));
    if (g.part.defined()) g.part.index_put_({dead}, g.part.index_select(0, picked));
    adam.zero_rows(at::cat({sources, dead}));
  }

  void grow(model::Gaussians& g, Adam& adam) const {
    const int64_t n = g.size();
    const int64_t target = std::min<int64_t>(o_.max_gaussians, int64_t(1.05 * double(n)));
    if (target <= n) return;
    const at::Tensor all = at::arange(n, at::kLong);
    const at::Tensor picked = sample_by_opacity(g, all, target - n);
    const at::Tensor counts = at::bincount(picked, {}, n);
    const at::Tensor sources = (counts > 0).nonzero().squeeze(1);
    split_among_copies(g, sources, counts.index_select(0, sources) + 1);
    g = model::concat(g, g.select(picked));
    adam.zero_rows(sources);
    adam.append(target - n);
  }

  void add_noise(model::Gaussians& g, double means_lr) const {
    const at::Tensor opacity = g.opacities();
    const at::Tensor scales = g.scales();
    const at::Tensor R = model::quaternion_to_rotation(g.quats);
    // covariance = R diag(s^2) R^T; noise = covariance * N(0, I), large where the opacity is small.
    const at::Tensor cov = at::matmul(R * (scales * scales).unsqueeze(1), R.transpose(1, 2));
    const at::Tensor gate = at::sigmoid(-o_.noise_sharpness * (opacity - o_.noise_opacity));
    const at::Tensor noise = at::matmul(cov, at::randn_like(g.means).unsqueeze(2)).squeeze(2);
    g.means.add_(noise * gate * (o_.noise_lr * means_lr));
  }

  McmcStrategyOptions o_;
};

}  // namespace

std::unique_ptr<IStrategy> make_mcmc_strategy(const McmcStrategyOptions& options) {
  return std::make_unique<McmcStrategy>(options);
}

}  // namespace ttgs::optim
