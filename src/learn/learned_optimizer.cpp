#include "learn/learned_optimizer.hpp"

#include <stdexcept>


namespace ttgs::learn {

LearnedOptimizer LearnedOptimizer::create(const UpdateNetworkConfig& config, uint64_t seed) {
  LearnedOptimizer o{UpdateNetwork(config, seed), Decoder::zeros(config.state_channels), 1.0, {}};
  o.update_scale = at::ones({config.state_channels}, at::kFloat);
  o.update_scale.slice(0, kPosition, kPosition + 3).fill_(config.voxel_size);
  o.update_scale.slice(0, kLogScale, kGaussianChannels).fill_(0.5);
  return o;
}

void LearnedOptimizer::set_scene_extent(double extent) {
  const double voxel = voxel_fraction * extent;
  network.set_voxel_size(voxel);
  update_scale.slice(0, kPosition, kPosition + 3).fill_(voxel);
}

std::vector<at::Tensor*> LearnedOptimizer::trainable() {
  std::vector<at::Tensor*> out;
  for (auto& entry : network.parameters()) out.push_back(&entry.second);
  out.push_back(&decoder.weight);
  out.push_back(&decoder.bias);
  return out;
}

at::Tensor render_loss(const at::Tensor& state, const Decoder& decoder, const std::vector<View>& views,
                       double ssim_lambda) {
  if (views.empty()) throw std::invalid_argument("render_loss: no views");
  const model::Gaussians g = to_gaussians(decoder.decode(state));
  at::Tensor total;
  for (const View& v : views) {
    const at::Tensor l = view_loss(g, v, ssim_lambda);
    total = total.defined() ? total + l : l;
  }
  return total / double(views.size());
}

at::Tensor run_learned_step(const LearnedOptimizer& opt, const at::Tensor& state, const std::vector<View>& source, int t,
                            int steps) {
  const LiftedGradient lifted = lift_gradients(state, opt.decoder, source);
  const at::Tensor update = opt.network.forward(state, lifted.normalized, t, steps);
  return state + cosine_step_size(t, steps, opt.gamma0) * update * opt.update_scale;
}

at::Tensor run_learned_optimizer(const LearnedOptimizer& opt, const at::Tensor& initial_state,
                                 const std::vector<View>& source, int steps) {
  at::Tensor state = initial_state.detach();
  for (int t = 0; t < steps; ++t) state = run_learned_step(opt, state, source, t, steps).detach();
  return state;
}

optim::Adam network_adam(LearnedOptimizer& opt, double lr) {
  optim::Adam adam;
  size_t k = 0;
  for (at::Tensor* p : opt.trainable()) adam.add_group("param" + std::to_string(k++), *p, lr, false);
  return adam;
}

double train_on_scene(LearnedOptimizer& opt, optim::Adam& adam, const TrainingScene& scene, const TrainOptions& o) {
  const std::vector<at::Tensor*> params = opt.trainable();
  if (adam.num_groups() != params.size()) throw std::invalid_argument("train_on_scene: optimizer of another model");
  for (size_t k = 0; k < params.size(); ++k) adam.set_lr(k, o.lr);
  for (at::Tensor* p : params) p->requires_grad_(true);
  opt.set_scene_extent(scene.extent);
  std::vector<View> all = scene.source;
  all.insert(all.end(), scene.novel.begin(), scene.novel.end());
  at::Tensor state = scene.initial_state.detach();
  double loss_sum = 0;
  for (int t = 0; t < o.steps; ++t) {
    const at::Tensor next = run_learned_step(opt, state, scene.source, t, o.steps);
    at::Tensor loss = render_loss(next, opt.decoder, all);
    // Flatness: the smallest scale of each Gaussian pushed below the threshold (surfaces are thin).
    const at::Tensor smallest = std::get<0>(opt.decoder.decode(next).slice(1, kLogScale, kLogScale + 3).min(1));
    loss = loss + o.flatness_weight * at::relu(smallest - o.flatness_threshold).mean();
    loss_sum += loss.item<double>();
    loss.backward();
    adam.step(params);
    for (at::Tensor* p : params) p->mutable_grad() = at::Tensor();
    state = next.detach();
  }
  for (at::Tensor* p : params) *p = p->detach();
  return loss_sum / double(o.steps);
}

}  // namespace ttgs::learn
