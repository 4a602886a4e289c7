#include "refine/sky_fusion.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace ttgs::refine {

SkyMask fuse_sky(const std::vector<float>& prior_disparity, const std::vector<float>& alpha,
                 const std::vector<float>& luminance, int H, int W, const SkyFusionOptions& o) {
  const size_t n = size_t(H) * size_t(W);
  if (H <= 0 || W <= 0 || prior_disparity.size() != n || alpha.size() != n || luminance.size() != n)
    throw std::invalid_argument("fuse_sky: every map must be height x width");
  std::vector<float> positive;
  for (const float d : prior_disparity)
    if (d > 0 && std::isfinite(d)) positive.push_back(d);
  float far = 0;
  if (!positive.empty()) {
    std::nth_element(positive.begin(), positive.begin() + positive.size() / 2, positive.end());
    far = float(o.far_disparity) * positive[positive.size() / 2];
  }
  const auto prior_sky = [&](size_t q) { return !(prior_disparity[q] > far); };  // no value, or far away
  const auto model_sky = [&](size_t q) { return !(alpha[q] >= float(o.model_alpha)); };
  // A strong edge lies between two neighbours whose luminance differs by more than the threshold.
  const auto edge_between = [&](size_t a, size_t b) { return !(std::abs(luminance[a] - luminance[b]) <= float(o.edge_threshold)); };
  SkyMask m;
  m.sky.assign(n, 0);
  std::vector<int32_t> stack;
  const int seed_rows = std::clamp(int(std::ceil(o.seed_rows * H)), 0, H);
  for (int y = 0; y < seed_rows; ++y)
    for (int x = 0; x < W; ++x) {
      const size_t q = size_t(y) * size_t(W) + size_t(x);
      if (prior_sky(q) && model_sky(q)) {
        m.sky[q] = 1;
        stack.push_back(int32_t(q));
        ++m.seeds;
      }
    }
  while (!stack.empty()) {
    const int32_t q = stack.back();
    stack.pop_back();
    ++m.pixels;
    const int x = q % W, y = q / W;
    const int nx[4] = {x - 1, x + 1, x, x}, ny[4] = {y, y, y - 1, y + 1};
    for (int k = 0; k < 4; ++k) {
      if (nx[k] < 0 || nx[k] >= W || ny[k] < 0 || ny[k] >= H) continue;
      const size_t p = size_t(ny[k]) * size_t(W) + size_t(nx[k]);
      if (m.sky[p] || !(prior_sky(p) || model_sky(p)) || edge_between(size_t(q), p)) continue;
      m.sky[p] = 1;
      stack.push_back(int32_t(p));
    }
  }
  return m;
}

}  // namespace ttgs::refine
