#include "optim/adam.hpp"

#include <c10/core/GradMode.h>
#include <cmath>

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace ttgs::optim {
namespace {
// One pass over the elements (no temporaries: on 500k Gaussians the tensor expression allocated and page-faulted
// five buffers of ~90 MB per step).
template <typename T>
void fused_adam(T* p, const T* g, T* m, T* v, int64_t n, double lr, double beta1, double beta2, double eps,
                double bc1, double bc2) {
  const T b1 = T(beta1), b2 = T(beta2), c1 = T(1 - beta1), c2 = T(1 - beta2), step = T(lr / bc1),
          inv_bc2 = T(1 / bc2), e = T(eps);
  parallel_for(0, n, [&](int64_t begin, int64_t end) {
#pragma omp simd
    for (int64_t i = begin; i < end; ++i) {
      const T mi = b1 * m[i] + c1 * g[i];
      const T vi = b2 * v[i] + c2 * g[i] * g[i];
      m[i] = mi;
      v[i] = vi;
      p[i] -= step * mi / (std::sqrt(vi * inv_bc2) + e);
    }
  }, 1 << 15);
}

bool fusable(const at::Tensor& p, const at::Tensor& grad, const at::Tensor& m, const at::Tensor& v,
             const at::Tensor& lr) {
  const auto same = [&](const at::Tensor& t) {
    return t.is_contiguous() && t.scalar_type() == p.scalar_type() && t.numel() == p.numel();
  };
  return p.device().is_cpu() && lr.numel() == 1 && p.is_contiguous() && same(grad) && same(m) && same(v) &&
         (p.scalar_type() == at::kFloat || p.scalar_type() == at::kDouble);
}
}  // namespace

void adam_update(at::Tensor& p, const at::Tensor& grad, at::Tensor& m, at::Tensor& v, const at::Tensor& lr, int64_t t,
                 double beta1, double beta2, double eps) {
  c10::NoGradGuard no_grad;
  const double bc1 = 1 - std::pow(beta1, double(t)), bc2 = 1 - std::pow(beta2, double(t));
  if (fusable(p, grad, m, v, lr) && p.scalar_type() == at::kFloat) {
    fused_adam(p.data_ptr<float>(), grad.data_ptr<float>(), m.data_ptr<float>(), v.data_ptr<float>(), p.numel(),
               lr.item<double>(), beta1, beta2, eps, bc1, bc2);
  } else if (fusable(p, grad, m, v, lr)) {
    fused_adam(p.data_ptr<double>(), grad.data_ptr<double>(), m.data_ptr<double>(), v.data_ptr<double>(), p.numel(),
               lr.item<double>(), beta1, beta2, eps, bc1, bc2);
  } else {
    m.mul_(beta1).add_(grad, 1 - beta1);
    v.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    p.sub_(lr * (m / bc1) / ((v / bc2).sqrt() + eps));
  }
}

size_t Adam::add_group(const std::string& name, const at::Tensor& param, double lr, bool rows) {
  c10::NoGradGuard no_grad;
  groups_.push_back({name, at::zeros_like(param), at::zeros_like(param), {}, lr, rows});
  return groups_.size() - 1;
}

void Adam::step(const std::vector<at::Tensor*>& params) {
  if (params.size() != groups_.size()) throw std::invalid_argument("Adam::step: one tensor per group expected");
  ++t_;
  for (size_t k = 0; k < groups_.size(); ++k) {
    at::Tensor& p = *params[k];
    if (!p.grad().defined()) continue;
    Group& g = groups_[k];
    const at::Tensor rate = g.lr_factors.defined() ? g.lr * g.lr_factors.to(p.scalar_type())
                                                   : at::scalar_tensor(g.lr, p.options().requires_grad(false));
    adam_update(p, p.grad(), g.m, g.v, rate, t_, settings_.beta1, settings_.beta2, settings_.eps);
  }
}

void Adam::select(const at::Tensor& indices) {
  for (Group& g : groups_) {
    if (!g.rows) continue;
    g.m = g.m.index_select(0, indices);
    g.v = g.v.index_select(0, indices);
  }
}

void Adam::append(int64_t count) {
  for (Group& g : groups_) {
    if (!g.rows) continue;
    std::vector<int64_t> shape(g.m.sizes().begin(), g.m.sizes().end());
    shape[0] = count;
    g.m = at::cat({g.m, at::zeros(shape, g.m.options())}, 0);
    g.v = at::cat({g.v, at::zeros(shape, g.v.options())}, 0);
  }
}

void Adam::zero_rows(const at::Tensor& indices) {
  if (indices.numel() == 0) return;
  for (Group& g : groups_) {
    if (!g.rows) continue;
    g.m.index_fill_(0, indices, 0);
    g.v.index_fill_(0, indices, 0);
  }
}

void Adam::reset(size_t group) {
  groups_.at(group).m.zero_();
  groups_.at(group).v.zero_();
}

Adam Adam::clone() const {
  Adam c = *this;
  for (Group& g : c.groups_) {
    g.m = g.m.clone();
    g.v = g.v.clone();
  }
  return c;
}

// Names m<k>, v<k>, lr and t, as the fit checkpoints of earlier versions wrote them.
std::vector<at::Tensor*> Adam::moments() {
  std::vector<at::Tensor*> out;
  for (Group& g : groups_) {
    out.push_back(&g.m);
    out.push_back(&g.v);
  }
  return out;
}

void Adam::save(model::TensorArchive& a, const std::string& prefix) const {
  std::vector<double> rates;
  for (size_t k = 0; k < groups_.size(); ++k) {
    a.add(prefix + "m" + std::to_string(k), groups_[k].m);
    a.add(prefix + "v" + std::to_string(k), groups_[k].v);
    rates.push_back(groups_[k].lr);
  }
  a.add(prefix + "lr", at::tensor(rates, at::kDouble));
  a.add(prefix + "t", at::tensor(std::vector<int64_t>{t_}, at::kLong));
}

void Adam::load(const model::TensorArchive& a, const std::string& prefix) {
  const at::Tensor lr = a.get(prefix + "lr");
  if (lr.numel() != int64_t(groups_.size())) throw InputError(a.path, "optimizer state for another model");
  for (size_t k = 0; k < groups_.size(); ++k) {
    const at::Tensor& m = a.get(prefix + "m" + std::to_string(k));
    const at::Tensor& v = a.get(prefix + "v" + std::to_string(k));
    if (m.sizes() != v.sizes() || m.dim() != groups_[k].m.dim())
      throw InputError(a.path, "inconsistent optimizer state");
    groups_[k].m = m.clone();
    groups_[k].v = v.clone();
    groups_[k].lr = lr[int64_t(k)].item<double>();
  }
  t_ = a.get(prefix + "t").item<int64_t>();
}

Adam gaussian_adam(const model::Gaussians& g, const std::array<double, 6>& lr, const AdamSettings& settings) {
  static const char* const names[6] = {"means", "log_scales", "quats", "opacity", "sh_dc", "sh_rest"};
  Adam adam(settings);
  const auto tensors = g.tensors();
  for (size_t k = 0; k < 6; ++k) adam.add_group(names[k], *tensors[k], lr[k]);
  return adam;
}

std::array<double, 6> gaussian_rates(const LearningRates& lr, double extent) {
  return {lr.means * extent, lr.log_scales, lr.quats, lr.opacity, lr.sh_dc, lr.sh_rest};
}

}  // namespace ttgs::optim
