#include "learn/update_network.hpp"

#include <cmath>
#include <stdexcept>

namespace ttgs::learn {

at::Tensor timestep_encoding(int step, int total_steps, int64_t channels) {
  const double x = total_steps > 0 ? double(step) / double(total_steps) : 0.0;
  std::vector<float> f;
  for (int64_t k = 0; k < channels / 2; ++k) {
    const double w = std::ldexp(M_PI, int(k));
    f.push_back(float(std::sin(w * x)));
    f.push_back(float(std::cos(w * x)));
  }
  return at::tensor(f, at::kFloat);
}

double cosine_step_size(int step, int total_steps, double gamma0) {
  if (total_steps <= 0) return gamma0;
  return gamma0 * 0.5 * (1 + std::cos(M_PI * double(step) / double(total_steps)));
}

at::Tensor scale_free_state(const at::Tensor& state, double voxel) {
  const at::Tensor cell = state.slice(1, 0, 3) / voxel;
  const at::Tensor offset = 2 * (cell - at::floor(cell)) - 1;
  const at::Tensor log_scale = state.slice(1, 3, 6) - std::log(voxel);
  return at::cat({offset, log_scale, state.slice(1, 6)}, 1);
}

UpdateNetwork::UpdateNetwork(const UpdateNetworkConfig& c, uint64_t seed) : config_(c) {
  if (c.levels < 1 || c.levels > 4) throw std::invalid_argument("UpdateNetwork: levels must be 1..4");
  if (c.state_channels < 14 || c.hidden < 1 || c.time_channels < 0 || !(c.voxel_size > 0))
    throw std::invalid_argument("UpdateNetwork: bad configuration");
  at::Generator gen = at::detail::createCPUGenerator(seed);
  const auto add = [&](const std::string& name, std::vector<int64_t> shape, int64_t fan_in, double gain) {
    params_.emplace_back(name, at::normal(0.0, gain / std::sqrt(double(fan_in)), shape, gen).to(at::kFloat));
  };
  const auto zeros = [&](const std::string& name, std::vector<int64_t> shape) {
    params_.emplace_back(name, at::zeros(shape, at::kFloat));
  };
  const int64_t in = 2 * c.state_channels + c.time_channels;
  add("in.w", {in, c.hidden}, in, 1.0);
  zeros("in.b", {c.hidden});
  for (int l = 0; l < c.levels; ++l) {
    const int64_t ch = c.hidden << l;
    for (const char* part : {"enc", "dec"}) {
      if (l == c.levels - 1 && std::string(part) == "dec") continue;  // the coarsest level runs once
      const std::string name = std::string(part) + std::to_string(l);
      add(name + ".conv1", {kKernelVolume, ch, ch}, kKernelVolume * ch, 1.0);
      add(name + ".conv2", {kKernelVolume, ch, ch}, kKernelVolume * ch, 0.5);
    }
    if (l + 1 < c.levels) {
      add("down" + std::to_string(l), {ch, 2 * ch}, ch, 1.0);
      add("up" + std::to_string(l), {2 * ch, ch}, 2 * ch, 1.0);
    }
  }
  add("out.w", {2 * c.hidden, c.state_channels}, 2 * c.hidden, 0.1);
  zeros("out.b", {c.state_channels});
}

const at::Tensor& UpdateNetwork::p(const std::string& name) const {
  for (const auto& [n, t] : params_)
    if (n == name) return t;
  throw std::logic_error("UpdateNetwork: no parameter " + name);
}

at::Tensor UpdateNetwork::residual_block(const at::Tensor& f, const VoxelLevel& level, const std::string& name) const {
  const at::Tensor h = at::relu(sparse_conv3d(f, level, p(name + ".conv1")));
  return at::relu(f + sparse_conv3d(h, level, p(name + ".conv2")));
}

at::Tensor UpdateNetwork::forward(const at::Tensor& state, const at::Tensor& gradient, int step, int total_steps) const {
  const UpdateNetworkConfig& c = config_;
  if (state.dim() != 2 || state.size(1) != c.state_channels || gradient.sizes() != state.sizes())
    throw std::invalid_argument("UpdateNetwork: state and gradient must both be (N, " +
                                std::to_string(c.state_channels) + ")");
  const int64_t n = state.size(0);
  const at::Tensor time = timestep_encoding(step, total_steps, c.time_channels).to(state.options()).expand({n, -1});
  const at::Tensor x = at::cat({scale_free_state(state, c.voxel_size), gradient, time}, 1);
  const at::Tensor point = at::relu(at::addmm(p("in.b"), x, p("in.w")));

  // The voxel pyramid over the points' current positions.
  std::vector<Voxelization> pyramid{voxelize(voxel_coords(state.slice(1, 0, 3), c.voxel_size))};
  for (int l = 1; l < c.levels; ++l) pyramid.push_back(coarsen(pyramid.back().level));

  std::vector<at::Tensor> skip(c.levels);
  at::Tensor f = scatter_mean(point, pyramid[0].point_to_voxel, pyramid[0].level.size());
  for (int l = 0; l < c.levels; ++l) {
    f = residual_block(f, pyramid[l].level, "enc" + std::to_string(l));
    skip[l] = f;
    if (l + 1 < c.levels)
      f = at::matmul(scatter_mean(f, pyramid[l + 1].point_to_voxel, pyramid[l + 1].level.size()),
                     p("down" + std::to_string(l)));
  }
  for (int l = c.levels - 2; l >= 0; --l) {
    const at::Tensor up = at::matmul(f.index_select(0, pyramid[l + 1].point_to_voxel), p("up" + std::to_string(l)));
    f = residual_block(skip[l] + up, pyramid[l].level, "dec" + std::to_string(l));
  }
  const at::Tensor back = f.index_select(0, pyramid[0].point_to_voxel);
  return at::tanh(at::addmm(p("out.b"), at::cat({point, back}, 1), p("out.w")));
}

}  // namespace ttgs::learn
