#include "optim/adam.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/parallel.hpp"

namespace ttgs::optim {

double exponential_decay(double initial, double final, int step, int steps) {
  if (steps <= 0 || step >= steps) return final;
  const double t = std::max(0.0, double(step) / double(steps));
  return std::exp(std::log(initial) * (1 - t) + std::log(final) * t);
}

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
}  // namespace

void adam_update(at::Tensor& p, const at::Tensor& grad, at::Tensor& m, at::Tensor& v, const at::Tensor& lr, int64_t t,
                 double beta1, double beta2, double eps) {
  at::NoGradGuard no_grad;
  const double bc1 = 1 - std::pow(beta1, double(t)), bc2 = 1 - std::pow(beta2, double(t));
  const bool fusable = p.device().is_cpu() && lr.numel() == 1 && p.is_contiguous() && grad.is_contiguous() &&
                       m.is_contiguous() && v.is_contiguous() && grad.scalar_type() == p.scalar_type() &&
                       m.scalar_type() == p.scalar_type() && v.scalar_type() == p.scalar_type() &&
                       grad.numel() == p.numel() && m.numel() == p.numel() && v.numel() == p.numel() &&
                       (p.scalar_type() == at::kFloat || p.scalar_type() == at::kDouble);
  if (fusable && p.scalar_type() == at::kFloat) {
    fused_adam(p.data_ptr<float>(), grad.data_ptr<float>(), m.data_ptr<float>(), v.data_ptr<float>(), p.numel(),
               lr.item<double>(), beta1, beta2, eps, bc1, bc2);
  } else if (fusable) {
    fused_adam(p.data_ptr<double>(), grad.data_ptr<double>(), m.data_ptr<double>(), v.data_ptr<double>(), p.numel(),
               lr.item<double>(), beta1, beta2, eps, bc1, bc2);
  } else {
    m.mul_(beta1).add_(grad, 1 - beta1);
    v.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
    p.sub_(lr * (m / bc1) / ((v / bc2).sqrt() + eps));
  }
}

GaussianAdam::GaussianAdam(const model::Gaussians& g, const std::array<double, 6>& lr, double beta1, double beta2,
                           double eps)
    : lr_(lr), beta1_(beta1), beta2_(beta2), eps_(eps) {
  const auto tensors = g.tensors();
  for (size_t k = 0; k < 6; ++k) {
    m_[k] = at::zeros_like(*tensors[k]);
    v_[k] = at::zeros_like(*tensors[k]);
  }
}

void GaussianAdam::step(model::Gaussians& g) {
  ++t_;
  auto tensors = g.tensors();
  for (size_t k = 0; k < 6; ++k) {
    at::Tensor& p = *tensors[k];
    if (!p.grad().defined()) continue;
    adam_update(p, p.grad(), m_[k], v_[k], at::scalar_tensor(lr_[k], p.options()), t_, beta1_, beta2_, eps_);
  }
}

void GaussianAdam::select(const at::Tensor& indices) {
  for (size_t k = 0; k < 6; ++k) {
    m_[k] = m_[k].index_select(0, indices);
    v_[k] = v_[k].index_select(0, indices);
  }
}

void GaussianAdam::append(int64_t count) {
  for (size_t k = 0; k < 6; ++k) {
    std::vector<int64_t> shape(m_[k].sizes().begin(), m_[k].sizes().end());
    shape[0] = count;
    m_[k] = at::cat({m_[k], at::zeros(shape, m_[k].options())}, 0);
    v_[k] = at::cat({v_[k], at::zeros(shape, v_[k].options())}, 0);
  }
}

GaussianAdam GaussianAdam::clone() const {
  GaussianAdam c = *this;
  for (size_t k = 0; k < 6; ++k) {
    c.m_[k] = m_[k].clone();
    c.v_[k] = v_[k].clone();
  }
  return c;
}

void GaussianAdam::reset(size_t k) {
  m_[k].zero_();
  v_[k].zero_();
}


void GaussianAdam::zero_rows(const at::Tensor& indices) {
  if (indices.numel() == 0) return;
  for (size_t k = 0; k < 6; ++k) {
    m_[k].index_fill_(0, indices, 0);
    v_[k].index_fill_(0, indices, 0);
  }
}

void GaussianAdam::save(model::TensorArchive& a, const std::string& prefix) const {
  for (size_t k = 0; k < 6; ++k) {
    a.add(prefix + "m" + std::to_string(k), m_[k]);
    a.add(prefix + "v" + std::to_string(k), v_[k]);
  }
  a.add(prefix + "lr", at::tensor(std::vector<double>(lr_.begin(), lr_.end()), at::kDouble));
  a.add(prefix + "t", at::tensor(std::vector<int64_t>{t_}, at::kLong));
}

void GaussianAdam::load(const model::TensorArchive& a, const std::string& prefix) {
  for (size_t k = 0; k < 6; ++k) {
    const at::Tensor& m = a.get(prefix + "m" + std::to_string(k));
    const at::Tensor& v = a.get(prefix + "v" + std::to_string(k));
    if (m.sizes() != v.sizes()) throw InputError(a.path, "inconsistent optimizer state");
    m_[k] = m.clone();
    v_[k] = v.clone();
  }
  const at::Tensor lr = a.get(prefix + "lr");
  if (lr.numel() != 6) throw InputError(a.path, "inconsistent optimizer learning rates");
  for (size_t k = 0; k < 6; ++k) lr_[k] = lr[int64_t(k)].item<double>();
  t_ = a.get(prefix + "t").item<int64_t>();
}

}  // namespace ttgs::optim
