#pragma once
// Per-scene optimization (the 3DGS baseline): one random training view per step (or, in full-batch mode, all of
// them, gradients summed), L1 + SSIM loss over the frame's valid pixels, Adam with per-attribute learning rates, a
// densification strategy (3DGS default or MCMC), SH degree raised every quarter of the run (500-1000 steps),
// evaluation on the test views
// every `eval_every` steps and at the end, checkpoints to resume from.
#include <array>
#include <functional>
#include <memory>
#include <cstdint>
#include <string>
#include <vector>

#include "eval/evaluate.hpp"
#include "io/dataset.hpp"
#include "model/gaussians.hpp"
#include "model/scene_model.hpp"
#include "optim/adam.hpp"
#include "optim/strategy.hpp"

namespace ttgs::fit {

enum class StrategyKind { kDefault, kMcmc };

struct FitOptions {
  int iters = 3000;
  int sh_degree = 3;  // reached step by step (sh_degree_interval)
  uint64_t seed = 0;
  int eval_every = 1000;  // 0: only at the end
  double ssim_lambda = 0.2;
  // Resolution warm-up: the first `warmup_steps` steps train on the photos downscaled by `warmup_downscale`
  // (box filter, cameras scaled), a quarter of the pixels at 2; then full size. kAutoWarmup: a third of the
  // iterations when the downscaled photos keep a smaller side of kMinWarmupSide pixels (not in full-batch mode),
  // else none (warmup_steps()).
  static constexpr int kAutoWarmup = -1;
  static constexpr int kMinWarmupSide = 128;
  int warmup_steps = kAutoWarmup;
  int warmup_downscale = 2;
  // Early stop: once densification has ended, the run stops at a test evaluation (every `eval_every` steps) that
  // gained less than `stop_plateau` dB over the previous one, itself after densification (0: never).
  double stop_plateau = 0;
  bool random_background = false;
  bool score_training_views = true;  // the final scores of every training view (FitResult::train); a benchmark skips them
  std::array<float, 3> background{0, 0, 0};
  optim::LearningRates lr;
  StrategyKind strategy_kind = StrategyKind::kDefault;
  optim::DefaultStrategyOptions strategy;
  optim::McmcStrategyOptions mcmc;
  // Full batch (the G3R paper's 3DGS baseline): every step renders all training views and sums their gradients; no
  // densification; the learning rates (positions included, instead of their exponential decay) are multiplied by
  // `full_batch_decay` at each fraction of the run in `full_batch_decay_at`. The loss is then deterministic, so the
  // divergence guard also rolls back when it rises above (1 + full_batch_rise) times its lowest value so far.
  bool full_batch = false;
  std::vector<double> full_batch_decay_at{0.4, 0.6, 0.8, 0.9};
  double full_batch_decay = 0.5;
  double full_batch_rise = 0.25;
  // A checkpoint is written to `checkpoint_path` every `checkpoint_every` steps (0 or empty path: never);
  // `resume` continues from it when it exists.
  std::string checkpoint_path;
  int checkpoint_every = 1000;
  bool resume = false;
  // Divergence guard: a good state is kept every `snapshot_every` steps; a NaN or infinite loss rolls back to it,
  // halves the learning rates and warns; more than `max_rollbacks` rollbacks end the run with an error.
  int snapshot_every = 100;
  int max_rollbacks = 5;
  // Scene models with an environment map and per-image appearance (time series): their learning rates.
  double lr_environment = 0.01, lr_appearance = 1e-3;
  // LPIPS on the test views (train views when there are none) at the end, when given.
  std::shared_ptr<const eval::LpipsModel> lpips;
  // Called before each step with the current model (tests use it to inject faults and interruptions).
  std::function<void(int step, model::Gaussians& gaussians)> before_step;
};

struct HistoryEntry {
  int step = 0;
  double time_s = 0;
  int64_t num_gaussians = 0;
  double loss = 0;                    // mean training loss over the steps since the last entry
  double test_psnr = 0, test_ssim = 0;  // NaN when there is no test view
  double eval_s = 0;                    // time spent evaluating the test views for this entry (after time_s)
};

struct FitResult {
  model::Gaussians gaussians;  // scene.gaussians
  model::SceneModel scene;
  double time_s = 0;
  std::vector<HistoryEntry> history;
  eval::EvalReport train, test;  // test empty when the dataset has no test view
  int rollbacks = 0;             // divergence-guard rollbacks during the run
  int steps = 0;                 // steps taken: the options' iters, or fewer after an early stop (stop_plateau)
};


// InputError naming the option when the options cannot work (checked before any data is loaded).
void check_options(const FitOptions& options);

// Steps between raises of the SH degree used in training (0 first, then up to FitOptions::sh_degree): a quarter of
// the run, between 500 and 1000 steps (3DGS raises it every 1000 steps of 30,000; at 3000 steps that left degree 3
// unused).
int sh_degree_interval(int iters);

// The warm-up a run takes: options.warmup_steps when given, else (kAutoWarmup) a third of the iterations when every
// training photo downscaled by options.warmup_downscale keeps a smaller side of FitOptions::kMinWarmupSide pixels.
int warmup_steps(const FitOptions& options, const io::Dataset& dataset);

FitResult fit(const io::Dataset& dataset, model::Gaussians init, const FitOptions& options);
// A scene model: actors placed by their tracks, the environment map and appearance trained with the Gaussians.
FitResult fit(const io::Dataset& dataset, model::SceneModel init, const FitOptions& options);

}  // namespace ttgs::fit
