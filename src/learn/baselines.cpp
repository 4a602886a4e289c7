#include "learn/baselines.hpp"

#include <cmath>

#include "fit/trainer.hpp"

namespace ttgs::learn {

namespace {

BaselineRun run_baseline(const io::Dataset& ds, const model::Gaussians& initial, const fit::FitOptions& o,
                         double match_psnr) {
  const fit::FitResult r = fit::fit(ds, initial, o);
  BaselineRun run{o.full_batch, o.iters, r.time_s, r.gaussians.size(), r.train.psnr, ds.test.empty() ? NAN : r.test.psnr};
  // Optimization time only: a history entry's time is taken before its own evaluation but after the earlier
  // ones, so those are taken out; the last entry marks the end of the optimization.
  double eval_s = 0;
  for (const fit::HistoryEntry& h : r.history) {
    if (match_psnr > 0 && run.match_step == 0 && h.test_psnr >= match_psnr) {
      run.match_step = h.step;
      run.match_time_s = h.time_s - eval_s;
    }
    run.time_s = h.time_s - eval_s;
    eval_s += h.eval_s;
  }
  return run;
}

}  // namespace

std::vector<BaselineRun> full_batch_adam_baselines(const io::Dataset& ds, const model::Gaussians& initial,
                                                   const std::vector<int>& steps, uint64_t seed, int eval_every,
                                                   double match_psnr) {
  std::vector<BaselineRun> out;
  for (int n : steps) {
    fit::FitOptions o;
    o.iters = n;
    o.full_batch = true;
    o.eval_every = ds.test.empty() ? 0 : eval_every;
    o.seed = seed;
    out.push_back(run_baseline(ds, initial, o, match_psnr));
  }
  return out;
}

BaselineRun plain_fit_baseline(const io::Dataset& ds, const model::Gaussians& initial, int iters, uint64_t seed,
                               int eval_every, double match_psnr) {
  fit::FitOptions o;
  o.iters = iters;
  o.eval_every = ds.test.empty() ? 0 : eval_every;
  o.seed = seed;
  return run_baseline(ds, initial, o, match_psnr);
}

}  // namespace ttgs::learn
