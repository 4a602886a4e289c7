#pragma once
// Conversions between the INRIA PLY's raw values and the activated values the compact formats store.
#include <algorithm>
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

}  // namespace ttgs::io::splat_values
