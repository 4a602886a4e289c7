#pragma once
// Baselines for the learned optimizer: full-batch Adam (`ttgs fit --full-batch`) from the same initial Gaussians for
// a list of step counts (T, 10 T, 40 T), each with its wall time and PSNR, so the speed/quality trade-off is visible.
#include <cstdint>
#include <vector>

#include "io/dataset.hpp"
#include "model/gaussians.hpp"

namespace ttgs::learn {

struct BaselineRun {
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

}  // namespace ttgs::learn
