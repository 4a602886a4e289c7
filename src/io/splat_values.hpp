#pragma once
// Conversions between the INRIA PLY's raw values and the activated values the compact formats store.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace ttgs::io::splat_values {

constexpr double kShC0 = 0.28209479177387814;  // the degree-0 real spherical harmonic

inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
// Inverse of sigmoid; probabilities are clamped to [1e-6, 1 - 1e-6] so that 0 and 1 stay finite.
inline double logit(double p) {
  p = std::clamp(p, 1e-6, 1.0 - 1e-6);
  return std::log(p / (1.0 - p));
}
inline double dc_to_color(double dc) { return 0.5 + kShC0 * dc; }
inline double color_to_dc(double c) { return (c - 0.5) / kShC0; }
// Rounded to the nearest integer in [0, hi].
inline uint32_t quantize(double x, uint32_t hi) {
  if (!(x > 0)) return 0;  // NaN too
  return uint32_t(std::min(double(hi), std::floor(x + 0.5)));
}
inline uint8_t to_byte(double x01) { return uint8_t(quantize(x01 * 255.0, 255)); }

// The unit quaternion (w, x, y, z) of a stored one of any norm; the identity for a zero one.
inline std::array<double, 4> unit_wxyz(const float* q) {
  const double norm = std::sqrt(double(q[0]) * q[0] + double(q[1]) * q[1] + double(q[2]) * q[2] + double(q[3]) * q[3]);
  if (!(norm > 0)) return {1, 0, 0, 0};
  return {q[0] / norm, q[1] / norm, q[2] / norm, q[3] / norm};
}

// Index of the component of largest magnitude, the lowest on ties ("smallest three" encodings leave it out).
inline int largest_component(const std::array<double, 4>& q) {
  int largest = 0;
  for (int i = 1; i < 4; ++i)
    if (std::abs(q[size_t(i)]) > std::abs(q[size_t(largest)])) largest = i;
  return largest;
}

}  // namespace ttgs::io::splat_values
