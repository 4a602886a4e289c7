#include "refine/depth_alignment.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

namespace ttgs::refine {
namespace {

struct Line {
  bool ok = false;
  double scale = 1, shift = 0;
};

// Least squares over the pairs listed in `idx`.
Line least_squares(const std::vector<float>& x, const std::vector<float>& y, const std::vector<int64_t>& idx) {
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (int64_t i : idx) {
    sx += x[i];
    sy += y[i];
    sxx += double(x[i]) * x[i];
    sxy += double(x[i]) * y[i];
  }
  const double n = double(idx.size());
  const double det = n * sxx - sx * sx;
  if (idx.size() < 2 || !(std::abs(det) > 1e-12 * std::max(1.0, n * sxx))) return {};
  const double scale = (n * sxy - sx * sy) / det;
  return {true, scale, (sy - scale * sx) / n};
}

}  // namespace

AffineFit fit_affine_ransac(const std::vector<float>& x, const std::vector<float>& y, const std::vector<uint8_t>& valid,
                            const RansacOptions& o) {
  if (x.size() != y.size() || x.size() != valid.size())
    throw std::invalid_argument("fit_affine_ransac: source, target and mask differ in size");
  if (o.sample_size < 2 || o.iterations < 1) throw std::invalid_argument("fit_affine_ransac: bad options");
  AffineFit fit;
  fit.inliers.assign(x.size(), 0);
  std::vector<int64_t> usable;
  for (size_t i = 0; i < x.size(); ++i)
    if (valid[i] && std::isfinite(x[i]) && std::isfinite(y[i])) usable.push_back(int64_t(i));
  fit.num_valid = int64_t(usable.size());
  if (int64_t(usable.size()) < o.sample_size) return fit;
  // Scoring set: evenly spaced, so the cost does not grow with the image size.
  std::vector<int64_t> scored;
  const size_t stride = std::max<size_t>(1, usable.size() / size_t(std::max<int64_t>(1, o.max_points)));
  for (size_t k = 0; k < usable.size(); k += stride) scored.push_back(usable[k]);
  std::vector<double> abs_y(scored.size());
  for (size_t k = 0; k < scored.size(); ++k) abs_y[k] = std::abs(y[scored[k]]);
  std::nth_element(abs_y.begin(), abs_y.begin() + abs_y.size() / 2, abs_y.end());
  const double tol = o.inlier_threshold * std::max(abs_y[abs_y.size() / 2], 1e-12);

  const auto count_inliers = [&](const Line& l, const std::vector<int64_t>& over, double* residual_sum) {
    int64_t n = 0;
    double r_sum = 0;
    for (int64_t i : over) {
      const double r = std::abs(l.scale * x[i] + l.shift - y[i]);
      if (r <= tol) ++n, r_sum += r;
    }
    if (residual_sum) *residual_sum = r_sum;
    return n;
  };
  std::mt19937_64 rng(o.seed);
  std::uniform_int_distribution<size_t> pick(0, scored.size() - 1);
  Line best;
  int64_t best_count = -1;
  double best_residual = 0;
  std::vector<int64_t> sample(o.sample_size);
  for (int it = 0; it < o.iterations; ++it) {
    for (int64_t& s : sample) s = scored[pick(rng)];
    const Line l = least_squares(x, y, sample);
    if (!l.ok) continue;
    double residual = 0;
    const int64_t n = count_inliers(l, scored, &residual);
    if (n > best_count || (n == best_count && residual < best_residual)) {
      best = l, best_count = n, best_residual = residual;
    }
  }
  if (!best.ok) return fit;
  // Refit on the consensus set (all usable pixels), then take the final inliers of the refitted line.
  for (int round = 0; round < 2; ++round) {
    std::vector<int64_t> inl;
    for (int64_t i : usable)
      if (std::abs(best.scale * x[i] + best.shift - y[i]) <= tol) inl.push_back(i);
    const Line refit = least_squares(x, y, inl);
    if (!refit.ok) break;
    best = refit;
  }
  fit.ok = true;
  fit.scale = best.scale;
  fit.shift = best.shift;
  for (int64_t i : usable)
    if (std::abs(best.scale * x[i] + best.shift - y[i]) <= tol) fit.inliers[i] = 1, ++fit.num_inliers;
  return fit;
}

}  // namespace ttgs::refine
