#include "refine/track_smoothing.hpp"

#include <array>
#include <cmath>
#include <stdexcept>

namespace ttgs::refine {
namespace {

constexpr size_t kOrder = 3;  // third divided differences: the jerk (a constant acceleration costs nothing)

// Minimizes Σ w_i (p_i - m_i)² + Σ_k (j_k / sigma_jerk)², j_k the third divided difference (times 6) at samples
// k..k+3 (times t): (W + DᵀD / sigma²) p = W m, banded (kOrder on each side) and positive definite, by banded
// Cholesky.
std::vector<double> smooth_channel(const std::vector<double>& t, const std::vector<double>& m,
                                   const std::vector<double>& w, double sigma_jerk) {
  const size_t n = m.size(), band = kOrder;
  using Row = std::array<double, kOrder + 1>;  // row[band - d] = entry (i, i - d), d = 0..band
  std::vector<Row> a(n, Row{}), l(n, Row{});
  for (size_t i = 0; i < n; ++i) a[i][band] = w[i];
  const double s = 1 / (sigma_jerk * sigma_jerk);
  for (size_t k = 0; k + band < n; ++k) {
    double c[kOrder + 1];
    for (size_t r = 0; r <= band; ++r) {  // divided difference weights: order! / Π (t_r - t_q)
      double prod = 1;
      for (size_t q = 0; q <= band; ++q)
        if (q != r) prod *= t[k + r] - t[k + q];
      if (!(std::abs(prod) > 0)) throw std::invalid_argument("smooth_track: times must increase");
      c[r] = 6.0 / prod;
    }
    for (size_t r = 0; r <= band; ++r)
      for (size_t q = 0; q <= r; ++q) a[k + r][band - (r - q)] += s * c[r] * c[q];
  }
  for (size_t i = 0; i < n; ++i)
    for (size_t d = std::min(i, band) + 1; d-- > 0;) {  // column j = i - d, from the farthest
      const size_t j = i - d;
      double sum = a[i][band - d];
      for (size_t k = i >= band ? i - band : 0; k < j; ++k) sum -= l[i][band - (i - k)] * l[j][band - (j - k)];
      l[i][band - d] = d == 0 ? std::sqrt(std::max(sum, 1e-300)) : sum / l[j][band];
    }
  std::vector<double> y(n), p(n);
  for (size_t i = 0; i < n; ++i) {  // L y = W m
    double v = w[i] * m[i];
    for (size_t d = 1; d <= band && d <= i; ++d) v -= l[i][band - d] * y[i - d];
    y[i] = v / l[i][band];
  }
  for (size_t i = n; i-- > 0;) {  // Lᵀ p = y
    double v = y[i];
    for (size_t d = 1; d <= band && i + d < n; ++d) v -= l[i + d][band - d] * p[i + d];
    p[i] = v / l[i][band];
  }
  return p;
}

}  // namespace

std::vector<TrackSample> smooth_track(const std::vector<TrackSample>& samples, const TrackSmoothingOptions& o) {
  const size_t n = samples.size();
  if (n <= kOrder) return samples;
  std::vector<double> t(n), x(n), y(n), yaw(n), wp(n), wy(n);
  for (size_t i = 0; i < n; ++i) {
    const TrackSample& s = samples[i];
    t[i] = s.time, x[i] = s.x, y[i] = s.y, yaw[i] = s.yaw;
    if (i > 0) yaw[i] = yaw[i - 1] + std::remainder(s.yaw - yaw[i - 1], 2 * M_PI);  // unwrapped
    wp[i] = 1 / (s.sigma_position * s.sigma_position);
    wy[i] = 1 / (s.sigma_yaw * s.sigma_yaw);
  }
  const std::vector<double> sx = smooth_channel(t, x, wp, o.jerk), sy = smooth_channel(t, y, wp, o.jerk);
  const std::vector<double> syaw = smooth_channel(t, yaw, wy, o.yaw_jerk);
  std::vector<TrackSample> out = samples;
  for (size_t i = 0; i < n; ++i) out[i].x = sx[i], out[i].y = sy[i], out[i].yaw = syaw[i];
  return out;
}

}  // namespace ttgs::refine
