#include "learn/neural_gaussians.hpp"

#include <cmath>
#include <stdexcept>

#include "model/init.hpp"

namespace ttgs::learn {

at::Tensor init_neural_state(const PointCloud& points, const NeuralInitOptions& o) {
  const int64_t n = int64_t(points.size());
  if (n == 0) throw std::invalid_argument("init_neural_state: no points");
  if (!(o.opacity > 0 && o.opacity < 1)) throw std::invalid_argument("init_neural_state: opacity must be in (0, 1)");
  const std::vector<float> d3 = model::knn_distance(points.positions, 3, model::KnnReduce::kLast);
  at::Tensor state = at::zeros({n, kGaussianChannels + o.latent}, at::kFloat);
  state.slice(1, kPosition, kPosition + 3).copy_(at::tensor(points.positions).reshape({n, 3}));
  state.slice(1, kLogScale, kLogScale + 3).copy_(at::tensor(d3).log().unsqueeze(1).expand({n, 3}));
  state.select(1, kQuaternion).fill_(1.0);
  if (points.colors.size() == points.positions.size())
    state.slice(1, kColor, kColor + 3).copy_(at::tensor(points.colors).reshape({n, 3}));
  else
    state.slice(1, kColor, kColor + 3).fill_(0.5);
  state.select(1, kOpacity).fill_(std::log(o.opacity / (1 - o.opacity)));
  if (o.latent > 0) {
    at::Generator gen = at::detail::createCPUGenerator(o.seed);
    state.slice(1, kGaussianChannels).copy_(at::normal(0.0, o.latent_std, {n, o.latent}, gen));
  }
  return state;
}

Decoder Decoder::zeros(int64_t c) {
  return {at::zeros({kGaussianChannels, c}, at::kFloat), at::zeros({kGaussianChannels}, at::kFloat)};
}

at::Tensor Decoder::decode(const at::Tensor& state) const {
  return state.slice(1, 0, kGaussianChannels) + at::tanh(at::addmm(bias, state, weight.t()));
}

model::Gaussians to_gaussians(const at::Tensor& e) {
  if (e.dim() != 2 || e.size(1) != kGaussianChannels) throw std::invalid_argument("to_gaussians: expected (N, 14)");
  model::Gaussians g;
  g.means = e.slice(1, kPosition, kPosition + 3);
  g.log_scales = e.slice(1, kLogScale, kLogScale + 3);
  g.quats = e.slice(1, kQuaternion, kQuaternion + 4);
  g.sh_dc = (e.slice(1, kColor, kColor + 3) - 0.5) / model::kShC0;
  g.opacity_logits = e.slice(1, kOpacity, kOpacity + 1);
  g.sh_rest = at::zeros({e.size(0), 0, 3}, e.options().requires_grad(false));
  return g;
}

}  // namespace ttgs::learn
