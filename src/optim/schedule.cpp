#include "optim/schedule.hpp"

#include <algorithm>
#include <cmath>

namespace ttgs::optim {

double exponential_decay(double initial, double final, int step, int steps) {
  if (steps <= 0 || step >= steps) return final;
  const double t = std::max(0.0, double(step) / double(steps));
  return std::exp(std::log(initial) * (1 - t) + std::log(final) * t);
}

double Schedule::factor(int step, int steps) const {
  double f = final_factor == 1 ? 1.0 : exponential_decay(1.0, final_factor, step, steps);
  for (double at : drops_at)
    if (step > at * steps) f *= drop;
  return f;
}

}  // namespace ttgs::optim
