#pragma once
// Per-scene optimization (the 3DGS baseline): one random training view per step, L1 + SSIM loss over the frame's
// valid pixels, Adam with per-attribute learning rates, the default densification strategy, SH degree raised every
// 1000 steps, evaluation on the test views every `eval_every` steps and at the end.
#include <array>
#include <functional>
#include <cstdint>
#include <string>
#include <vector>

#include "eval/evaluate.hpp"
#include "io/dataset.hpp"
#include "model/gaussians.hpp"
#include "optim/adam.hpp"
#include "optim/strategy.hpp"

namespace ttgs::fit {

struct FitOptions {
  int iters = 3000;
  int sh_degree = 3;
  uint64_t seed = 0;
  int eval_every = 1000;  // 0: only at the end
  double ssim_lambda = 0.2;
  bool random_background = false;
  std::array<float, 3> background{0, 0, 0};
  optim::LearningRates lr;
  optim::DefaultStrategyOptions strategy;
  // Divergence guard: a good state is kept every `snapshot_every` steps; a NaN or infinite loss rolls back to it,
  // halves the learning rates and warns; more than `max_rollbacks` rollbacks end the run with an error.
  int snapshot_every = 100;
  int max_rollbacks = 5;
  // Called before each step with the current model (tests use it to inject faults).
  std::function<void(int step, model::Gaussians& gaussians)> before_step;
};

struct HistoryEntry {
  int step = 0;
  double time_s = 0;
  int64_t num_gaussians = 0;
  double loss = 0;                    // mean training loss over the steps since the last entry
  double test_psnr = 0, test_ssim = 0;  // NaN when there is no test view
};

struct FitResult {
  model::Gaussians gaussians;
  double time_s = 0;
  std::vector<HistoryEntry> history;
  eval::EvalReport train, test;  // test empty when the dataset has no test view
  int rollbacks = 0;             // divergence-guard rollbacks during the run
};

// Radius of the camera centres around their mean, times 1.1 (3DGS's scene extent).
double scene_extent(const io::Dataset& dataset);

FitResult fit(const io::Dataset& dataset, model::Gaussians init, const FitOptions& options);

}  // namespace ttgs::fit
