#pragma once
// Baselines for the learned optimizer, from the same initial Gaussians: full-batch Adam (`ttgs fit --full-batch`)
// for a list of step counts (T, 10 T, 40 T), and plain `ttgs fit` (one view per step, densification) given the same
// number of view renders as T learned steps (T x training views iterations); each with its wall time and PSNR.
#include <cstdint>
#include <vector>

#include "io/dataset.hpp"
#include "model/gaussians.hpp"

namespace ttgs::learn {

struct BaselineRun {
  bool full_batch = true;
  int steps = 0;
  double time_s = 0;
  int64_t num_gaussians = 0;
  double train_psnr = 0, test_psnr = 0;  // test_psnr NaN without test views
  // With test views and eval_every > 0: the first evaluated step whose test PSNR reached `match_psnr` (0: never).
  int match_step = 0;
  double match_time_s = 0;
};

// eval_every > 0 evaluates the test views every that many steps (their time is not counted) to find when each run
// first reaches match_psnr (e.g. the learned optimizer's).
std::vector<BaselineRun> full_batch_adam_baselines(const io::Dataset& dataset, const model::Gaussians& initial,
                                                   const std::vector<int>& steps, uint64_t seed, int eval_every = 0,
                                                   double match_psnr = 0);

// Plain `ttgs fit` for `iters` iterations (eval_every and match_psnr as above).
BaselineRun plain_fit_baseline(const io::Dataset& dataset, const model::Gaussians& initial, int iters, uint64_t seed,
                               int eval_every = 0, double match_psnr = 0);

}  // namespace ttgs::learn
