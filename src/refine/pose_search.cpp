#include "refine/pose_search.hpp"

#include <algorithm>
#include <cmath>

namespace ttgs::refine {

bool pose_search_measure(FramePoseSearch& s, double cost, const PoseSearchOptions& o) {
  if (std::isfinite(cost) && cost < s.best_cost) {
    s.best = s.delta;
    s.best_cost = cost;
    s.lambda *= o.lambda_down;
    ++s.accepted;
    return true;
  }
  s.delta = s.best;
  s.lambda *= o.lambda_up;
  ++s.rejected;
  if (s.lambda > o.max_lambda) s.settled = true;
  return false;
}

PoseVector solve_damped(const NormalEquations& e, double lambda) {
  std::array<double, 36> a = e.jtj;
  double trace = 0;
  for (int k = 0; k < 6; ++k) trace += a[size_t(k * 7)];
  for (int k = 0; k < 6; ++k) a[size_t(k * 7)] += lambda * a[size_t(k * 7)] + 1e-12 * trace + 1e-300;
  // Cholesky a = L Lᵀ, in place (lower triangle).
  for (int j = 0; j < 6; ++j) {
    double d = a[size_t(j * 7)];
    for (int k = 0; k < j; ++k) d -= a[size_t(j * 6 + k)] * a[size_t(j * 6 + k)];
    if (!(d > 0)) return {};
    a[size_t(j * 7)] = std::sqrt(d);
    for (int i = j + 1; i < 6; ++i) {
      double v = a[size_t(i * 6 + j)];
      for (int k = 0; k < j; ++k) v -= a[size_t(i * 6 + k)] * a[size_t(j * 6 + k)];
      a[size_t(i * 6 + j)] = v / a[size_t(j * 7)];
    }
  }
  PoseVector y{}, x{};
  for (int i = 0; i < 6; ++i) {  // L y = -Jᵀr
    double v = -e.jtr[size_t(i)];
    for (int k = 0; k < i; ++k) v -= a[size_t(i * 6 + k)] * y[size_t(k)];
    y[size_t(i)] = v / a[size_t(i * 7)];
  }
  for (int i = 5; i >= 0; --i) {  // Lᵀ x = y
    double v = y[size_t(i)];
    for (int k = i + 1; k < 6; ++k) v -= a[size_t(k * 6 + i)] * x[size_t(k)];
    x[size_t(i)] = v / a[size_t(i * 7)];
  }
  return x;
}

void pose_search_propose(FramePoseSearch& s, const NormalEquations* system, const PoseVector& pixels_per_unit,
                         const PoseSearchOptions& o) {
  if (system) s.system = *system;
  s.delta = s.best;
  if (s.settled) return;
  PoseVector step = solve_damped(s.system, s.lambda);
  double motion = 0;  // the step's largest image motion, in pixels
  for (size_t k = 0; k < 6; ++k) motion = std::max(motion, std::abs(step[k]) * pixels_per_unit[k]);
  if (!(motion >= o.min_step_px)) {
    s.settled = true;
    return;
  }
  const double shrink = motion > o.max_step_px ? o.max_step_px / motion : 1.0;
  for (size_t k = 0; k < 6; ++k) s.delta[k] = s.best[k] + shrink * step[k];
}

ImageShift best_image_shift(const float* moving, const float* fixed, const float* weight, int height, int width,
                            int channels, int radius) {
  double total = 0;
  for (int k = 0; k < height * width; ++k) total += weight[k];
  ImageShift best{0, 0, std::numeric_limits<double>::infinity()};
  for (int dy = -radius; dy <= radius; ++dy)
    for (int dx = -radius; dx <= radius; ++dx) {
      double sum = 0, wsum = 0;
      for (int y = std::max(0, dy); y < std::min(height, height + dy); ++y)
        for (int x = std::max(0, dx); x < std::min(width, width + dx); ++x) {
          const int f = y * width + x, m = (y - dy) * width + (x - dx);
          const double w = weight[f];
          if (w == 0) continue;
          double d2 = 0;
          for (int c = 0; c < channels; ++c) {
            const double d = double(moving[m * channels + c]) - double(fixed[f * channels + c]);
            d2 += d * d;
          }
          sum += w * d2;
          wsum += w;
        }
      if (wsum < 0.5 * total || wsum == 0) continue;
      const double cost = sum / wsum;
      if (cost < best.cost) best = {dx, dy, cost};
    }
  return best;
}

void pose_search_new_level(FramePoseSearch& s, const PoseSearchOptions& o) {
  s.delta = s.best;
  s.best_cost = std::numeric_limits<double>::infinity();
  s.system = {};
  s.lambda = o.lambda;
  s.settled = false;
}

}  // namespace ttgs::refine
