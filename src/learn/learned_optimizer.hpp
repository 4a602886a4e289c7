#pragma once
// The learned optimizer (G3R) as library code: starting from the neural state of a scene's scaffold, each of T steps
// lifts the rendering gradient to the points and applies state += γ_t · s ⊙ G(state, ∇, t), γ_t on a cosine
// schedule and s a fixed per-channel scale (positions move in voxel units). Training renders every updated state
// into source and novel views and updates the network after every step (truncated backpropagation: the state is
// detached between steps).
#include <ATen/ATen.h>

#include <vector>

#include "learn/lift.hpp"
#include "learn/neural_gaussians.hpp"
#include "learn/update_network.hpp"
#include "dist/collective.hpp"
#include "optim/adam.hpp"

namespace ttgs::learn {

struct LearnedOptimizer {
  UpdateNetwork network;
  Decoder decoder;
  double gamma0 = 1.0;
  at::Tensor update_scale;  // (C) per-channel scale of the network's output
  double voxel_fraction = 0.02;  // finest voxel edge as a fraction of the scene extent (see set_scene_extent)

  // Positions scaled by the finest voxel, the other Gaussian channels by 0.5, the latent by 1.
  static LearnedOptimizer create(const UpdateNetworkConfig& config, uint64_t seed);
  // Scenes come in any scale: the voxel size and the position step follow the scene's extent.
  void set_scene_extent(double extent);
  // Every trainable tensor: the network's and the decoder's.
  std::vector<at::Tensor*> trainable();
};

struct TrainingScene {
  at::Tensor initial_state;  // (N, C)
  double extent = 1;         // scene extent (voxel size and position steps follow it)
  std::vector<View> source, novel;
};

// Step t of T from `state` (the network's graph kept only when its parameters require grad).
at::Tensor run_learned_step(const LearnedOptimizer& opt, const at::Tensor& state, const std::vector<View>& source,
                            int step, int steps);
// Step t of T from `state` given the normalized lifted gradient the step reads (lift.hpp).
at::Tensor apply_learned_step(const LearnedOptimizer& opt, const at::Tensor& state, const at::Tensor& normalized_gradient,
                              int step, int steps);
// The source views step t reads: `per_step` of them, evenly spaced, the choice rotating with the step so that
// consecutive steps see different views (0 or at least the number of views: all of them, in order).
std::vector<View> views_for_step(const std::vector<View>& source, int step, int per_step);

// Steps first_step..steps-1 of T = steps from `state`, each on views_for_step(source, t, views_per_step), without
// building a graph through them; returns the state after the last.
at::Tensor run_learned_steps(const LearnedOptimizer& opt, const at::Tensor& state, const std::vector<View>& source,
                             int first_step, int steps, int views_per_step);
// Runs T steps on every source view without building a graph through them; returns the final state.
at::Tensor run_learned_optimizer(const LearnedOptimizer& opt, const at::Tensor& initial_state,
                                 const std::vector<View>& source, int steps);

// Photometric loss of the decoded state (mean over the views), differentiable in state and decoder.
at::Tensor render_loss(const at::Tensor& state, const Decoder& decoder, const std::vector<View>& views,
                       double ssim_lambda = 0.2);

struct TrainOptions {
  int steps = 24;              // T
  double flatness_weight = 0.01, flatness_threshold = 0.0;  // penalize the smallest log-scale above the threshold
  double lr = 1e-3;            // Adam on the network and decoder
  int loss_views = 8;          // source views in each step's training loss besides the novel ones (0: all)
  int views_per_step = 0;      // source views each learned step lifts its gradient from (0: all; views_for_step)
};

// Adam over opt.trainable(), one group per tensor, all at `lr`.
optim::Adam network_adam(LearnedOptimizer& opt, double lr);

// One update of the network per learned step, over a batch of scenes that advance in lockstep: at step t every
// scene takes its step, the loss of the result (all its views) is backpropagated into the network, the gradients
// are summed over the local scenes and over the ranks of `ranks`, divided by the number of scenes in the whole
// batch, and `adam` (from network_adam) updates the network. Each rank passes its own share of the batch; every rank
// ends with the same weights. Returns the loss of each local scene (mean over the steps) and of the whole batch.
struct BatchLoss {
  std::vector<double> local;  // per local scene
  double mean = 0;            // over every scene of the batch (all ranks); not finite: the batch stopped there
};
BatchLoss train_batch(LearnedOptimizer& opt, optim::Adam& adam, const std::vector<const TrainingScene*>& scenes,
                      const TrainOptions& options, dist::Collective& ranks);

// A batch of one scene in one process. Returns its mean loss over the steps.
double train_on_scene(LearnedOptimizer& opt, optim::Adam& adam, const TrainingScene& scene,
                      const TrainOptions& options);

}  // namespace ttgs::learn
