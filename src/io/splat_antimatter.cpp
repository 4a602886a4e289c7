// antimatter15's .splat (the WebGL splat viewer's format, also read by SuperSplat, Spark and splat-transform): 32
// bytes per Gaussian, no header, degree-0 colour only:
//   position 3 x float32 | scale 3 x float32 (linear, exp of the log-scales) |
//   colour RGBA uint8 (RGB = 0.5 + C0 * DC, alpha = sigmoid(opacity), x 255) | rotation 4 x uint8 (w x y z of the
//   unit quaternion, q * 128 + 128).
// Written most important first (exp(sum of log-scales) x opacity, descending), as the original converter does.
// Lost on the way: the SH rest coefficients, and colour/opacity/rotation precision beyond 8 bits.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "io/bytes.hpp"
#include "io/splat_formats.hpp"
#include "io/splat_values.hpp"

namespace ttgs::io {

namespace sv = splat_values;

std::string encode_antimatter_splat(const SplatData& s) {
  std::vector<size_t> order(s.count);
  std::iota(order.begin(), order.end(), size_t(0));
  std::vector<double> importance(s.count);
  for (size_t i = 0; i < s.count; ++i)
    importance[i] = std::exp(double(s.log_scales[3 * i]) + s.log_scales[3 * i + 1] + s.log_scales[3 * i + 2]) *
                    sv::sigmoid(s.opacity_logits[i]);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return importance[a] > importance[b]; });
  ByteWriter w;
  w.bytes().reserve(32 * s.count);
  for (size_t i : order) {
    for (int k = 0; k < 3; ++k) w.put<float>(s.means[3 * i + k]);
    for (int k = 0; k < 3; ++k) w.put<float>(std::exp(s.log_scales[3 * i + k]));
    for (int k = 0; k < 3; ++k) w.put<uint8_t>(sv::to_byte(sv::dc_to_color(s.sh_dc[3 * i + k])));
    w.put<uint8_t>(sv::to_byte(sv::sigmoid(s.opacity_logits[i])));
    for (double c : sv::unit_wxyz(&s.quats[4 * i])) w.put<uint8_t>(uint8_t(sv::quantize(c * 128.0 + 128.0, 255)));
  }
  return std::move(w.bytes());
}

SplatData parse_antimatter_splat(const std::string& bytes, const std::string& name) {
  if (bytes.empty() || bytes.size() % 32 != 0)
    throw InputError(name, "a .splat file holds 32 bytes per Gaussian; this one has " + std::to_string(bytes.size()));
  SplatData s;
  s.resize(bytes.size() / 32, 0);
  ByteReader r(bytes, name);
  for (size_t i = 0; i < s.count; ++i) {
    for (int k = 0; k < 3; ++k) s.means[3 * i + k] = r.get<float>();
    for (int k = 0; k < 3; ++k) {
      const float scale = r.get<float>();
      s.log_scales[3 * i + k] = scale > 0 ? std::log(scale) : -30.f;
    }
    for (int k = 0; k < 3; ++k) s.sh_dc[3 * i + k] = float(sv::color_to_dc(r.byte() / 255.0));
    s.opacity_logits[i] = float(sv::logit(r.byte() / 255.0));
    for (int k = 0; k < 4; ++k) s.quats[4 * i + k] = float((r.byte() - 128.0) / 128.0);
  }
  if (!s.all_finite()) throw InputError(name, "holds non-finite values");
  return s;
}

}  // namespace ttgs::io
