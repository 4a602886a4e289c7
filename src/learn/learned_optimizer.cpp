#include "learn/learned_optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
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
  return apply_learned_step(opt, state, lift_gradients(state, opt.decoder, source).normalized, t, steps);
}

at::Tensor apply_learned_step(const LearnedOptimizer& opt, const at::Tensor& state, const at::Tensor& normalized_gradient,
                              int t, int steps) {
  const at::Tensor update = opt.network.forward(state, normalized_gradient, t, steps);
  return state + cosine_step_size(t, steps, opt.gamma0) * update * opt.update_scale;
}

std::vector<View> views_for_step(const std::vector<View>& source, int step, int per_step) {
  const size_t n = source.size();
  if (per_step <= 0 || size_t(per_step) >= n) return source;
  std::vector<View> out;
  for (size_t i = 0; i < size_t(per_step); ++i) out.push_back(source[(size_t(step) + i * n / size_t(per_step)) % n]);
  return out;
}

at::Tensor run_learned_steps(const LearnedOptimizer& opt, const at::Tensor& state, const std::vector<View>& source,
                             int first_step, int steps, int views_per_step) {
  at::Tensor out = state.detach();
  for (int t = first_step; t < steps; ++t)
    out = run_learned_step(opt, out, views_for_step(source, t, views_per_step), t, steps).detach();
  return out;
}

at::Tensor run_learned_optimizer(const LearnedOptimizer& opt, const at::Tensor& initial_state,
                                 const std::vector<View>& source, int steps) {
  return run_learned_steps(opt, initial_state, source, 0, steps, 0);
}

optim::Adam network_adam(LearnedOptimizer& opt, double lr) {
  optim::Adam adam;
  size_t k = 0;
  for (at::Tensor* p : opt.trainable()) adam.add_group("param" + std::to_string(k++), *p, lr, false);
  return adam;
}

namespace {

// The loss a training step minimizes: the photometric loss of the stepped state over the scene's novel views and
// up to `loss_views` of its source views (evenly spaced, the choice rotating with the step), plus flatness (the
// smallest scale of each Gaussian pushed below the threshold: surfaces are thin).
at::Tensor training_loss(const LearnedOptimizer& opt, const at::Tensor& next, const TrainingScene& scene, int step,
                         const TrainOptions& o) {
  std::vector<View> views = scene.novel;
  for (View& v : views_for_step(scene.source, step, o.loss_views)) views.push_back(std::move(v));
  const at::Tensor loss = render_loss(next, opt.decoder, views);
  const at::Tensor smallest = std::get<0>(opt.decoder.decode(next).slice(1, kLogScale, kLogScale + 3).min(1));
  return loss + o.flatness_weight * at::relu(smallest - o.flatness_threshold).mean();
}

}  // namespace

BatchLoss train_batch(LearnedOptimizer& opt, optim::Adam& adam, const std::vector<const TrainingScene*>& scenes,
                      const TrainOptions& o, dist::Collective& ranks) {
  const std::vector<at::Tensor*> params = opt.trainable();
  if (adam.num_groups() != params.size()) throw std::invalid_argument("train_batch: optimizer of another model");
  if (scenes.empty()) throw std::invalid_argument("train_batch: every rank needs at least one scene");
  for (size_t k = 0; k < params.size(); ++k) adam.set_lr(k, o.lr);
  for (at::Tensor* p : params) p->requires_grad_(true);
  std::vector<at::Tensor> states;
  for (const TrainingScene* s : scenes) states.push_back(s->initial_state.detach());
  BatchLoss out;
  out.local.assign(scenes.size(), 0.0);
  double total = 0;
  for (int t = 0; t < o.steps; ++t) {
    at::Tensor sums = at::zeros({2}, at::kDouble);  // loss summed over the local scenes, number of scenes
    for (size_t k = 0; k < scenes.size(); ++k) {
      opt.set_scene_extent(scenes[k]->extent);
      const at::Tensor next =
          run_learned_step(opt, states[k], views_for_step(scenes[k]->source, t, o.views_per_step), t, o.steps);
      const at::Tensor loss = training_loss(opt, next, *scenes[k], t, o);
      const double value = loss.item<double>();
      out.local[k] += value / double(o.steps);
      sums[0] += value;
      sums[1] += 1.0;
      if (std::isfinite(value)) loss.backward();
      states[k] = next.detach();
    }
    std::vector<at::Tensor*> reduced;
    for (at::Tensor* p : params) {
      if (!p->grad().defined()) p->mutable_grad() = at::zeros_like(*p);
      reduced.push_back(&p->mutable_grad());
    }
    reduced.push_back(&sums);
    dist::allreduce_packed(ranks, reduced);
    const double count = sums[1].item<double>(), mean = sums[0].item<double>() / count;
    total += mean;
    if (std::isfinite(mean)) {
      for (at::Tensor* p : params) p->mutable_grad().div_(count);
      adam.step(params);
    }
    for (at::Tensor* p : params) p->mutable_grad() = at::Tensor();
    if (!std::isfinite(mean)) {
      total = mean;
      break;
    }
  }
  for (at::Tensor* p : params) *p = p->detach();
  out.mean = std::isfinite(total) ? total / double(o.steps) : total;
  return out;
}

double train_on_scene(LearnedOptimizer& opt, optim::Adam& adam, const TrainingScene& scene, const TrainOptions& o) {
  const std::unique_ptr<dist::Collective> one = dist::single_process();
  return train_batch(opt, adam, {&scene}, o, *one).mean;
}

}  // namespace ttgs::learn
