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
void save_checkpoint(const std::string& path, const FitOptions& options, const model::Gaussians& g,
                     const optim::Adam& adam, const optim::IStrategy& strategy, const std::string& rng,
                     const LoopState& state);

struct Checkpoint {
  model::Gaussians g;
  std::string rng;
  LoopState state;
};
// Restores the optimizer, the strategy and LibTorch's default generator; throws InputError naming the file when it
// is unreadable or was written by a run with other options (iterations, seed, strategy, mode, SH degree).
Checkpoint load_checkpoint(const std::string& path, const FitOptions& options, optim::Adam& adam,
                           optim::IStrategy& strategy);

}  // namespace ttgs::fit
