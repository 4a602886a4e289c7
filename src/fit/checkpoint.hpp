#pragma once
// Checkpoints of a `fit` run: the model, the optimizer, the strategy's statistics, both random generators and the
// loop's own counters, so that a resumed run ends bit-identical to an uninterrupted one (same seed, same threads).
#include <string>
#include <vector>

#include "fit/trainer.hpp"

namespace ttgs::fit {

// What the training loop carries from one step to the next, besides model, optimizer and strategy.
struct LoopState {
  int step = 0;                  // steps completed
  std::vector<int64_t> order;    // training views still to visit in this epoch (stochastic mode)
  double loss_sum = 0;
  int loss_count = 0;
  double lr_scale = 1.0;         // halved by each divergence rollback
  int rollbacks = 0;
  double elapsed_s = 0;          // wall time spent before this process took over
  std::vector<HistoryEntry> history;
};

// Written atomically. `rng` is the loop's std::mt19937_64 in its text form.
void save_checkpoint(const std::string& path, const FitOptions& options, const model::SceneModel& scene,
                     const optim::Adam& adam, const optim::IStrategy& strategy, const std::string& rng,
                     const LoopState& state);

struct Checkpoint {
  std::string rng;
  LoopState state;
};
// Restores the scene's trained tensors (Gaussians with their parts, environment map, appearance), the optimizer,
// the strategy and LibTorch's default generator; throws InputError naming the file when it is unreadable or was
// written by a run with other options (iterations, seed, strategy, mode, SH degree) or another scene model.
Checkpoint load_checkpoint(const std::string& path, const FitOptions& options, optim::Adam& adam,
                           optim::IStrategy& strategy, model::SceneModel& scene);

}  // namespace ttgs::fit
