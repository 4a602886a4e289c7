#include "learn/baselines.hpp"

#include <cmath>

#include "fit/trainer.hpp"

namespace ttgs::learn {

std::vector<BaselineRun> full_batch_adam_baselines(const io::Dataset& ds, const model::Gaussians& initial,
                                                   const std::vector<int>& steps, uint64_t seed) {
  std::vector<BaselineRun> out;
  for (int n : steps) {
    fit::FitOptions o;
    o.iters = n;
    o.full_batch = true;
    o.eval_every = 0;
    o.seed = seed;
    const fit::FitResult r = fit::fit(ds, initial, o);
    // Optimization time (the history entry of the last step is taken before the final evaluation).
    out.push_back({n, r.history.empty() ? r.time_s : r.history.back().time_s, r.gaussians.size(), r.train.psnr, ds.test.empty() ? NAN : r.test.psnr});
  }
  return out;
}

}  // namespace ttgs::learn
