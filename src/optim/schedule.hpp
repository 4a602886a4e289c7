#pragma once
// Learning-rate schedules: the factor on a base rate at step `step` of `steps`. One struct covers the schedules the
// loops use: constant, exponential decay (3DGS positions, refinement), and drops at fractions of the run (full-batch
// fitting, learned-optimizer training).
#include <vector>

namespace ttgs::optim {

// Exponential (log-linear) interpolation from `initial` to `final` over [0, steps]; `final` from `steps` on.
double exponential_decay(double initial, double final, int step, int steps);

struct Schedule {
  double final_factor = 1;        // exponential decay from 1 to this over the run (1: none)
  std::vector<double> drops_at;   // fractions of the run after which the rate is multiplied by `drop`
  double drop = 1;
  // The factor at `step` (0-based or 1-based as the caller counts; `steps` is the run's length).
  double factor(int step, int steps) const;
};

}  // namespace ttgs::optim
