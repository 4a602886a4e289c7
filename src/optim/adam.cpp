#include "optim/adam.hpp"

#include <cmath>

namespace ttgs::optim {

double exponential_decay(double initial, double final, int step, int steps) {
  if (steps <= 0 || step >= steps) return final;
  const double t = std::max(0.0, double(step) / double(steps));
  return std::exp(std::log(initial) * (1 - t) + std::log(final) * t);
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
  at::NoGradGuard no_grad;
  ++t_;
  const double bc1 = 1 - std::pow(beta1_, double(t_)), bc2 = 1 - std::pow(beta2_, double(t_));
  auto tensors = g.tensors();
  for (size_t k = 0; k < 6; ++k) {
    at::Tensor& p = *tensors[k];
    const at::Tensor& grad = p.grad();
    if (!grad.defined()) continue;
    m_[k].mul_(beta1_).add_(grad, 1 - beta1_);
    v_[k].mul_(beta2_).addcmul_(grad, grad, 1 - beta2_);
    const at::Tensor denom = (v_[k] / bc2).sqrt_().add_(eps_);
    p.addcdiv_(m_[k], denom, -lr_[k] / bc1);
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

}  // namespace ttgs::optim
