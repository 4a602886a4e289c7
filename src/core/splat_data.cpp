#include "core/splat_data.hpp"

#include <cmath>

#include <algorithm>
#include <cmath>
#include <limits>

namespace ttgs {

void SplatData::resize(size_t n, int degree) {
  count = n;
  sh_degree = degree;
  means.assign(n * 3, 0.f);
  log_scales.assign(n * 3, 0.f);
  quats.assign(n * 4, 0.f);
  opacity_logits.assign(n, 0.f);
  sh_dc.assign(n * 3, 0.f);
  sh_rest.assign(n * size_t(sh_rest_count(degree)) * 3, 0.f);
}

SplatStats compute_stats(const SplatData& s) {
  SplatStats st;
  st.count = s.count;
  st.sh_degree = s.sh_degree;
  if (s.count == 0) return st;
  for (int a = 0; a < 3; ++a) {
    st.bounds_min[a] = std::numeric_limits<double>::infinity();
    st.bounds_max[a] = -std::numeric_limits<double>::infinity();
  }
  double op_sum = 0;
  st.opacity_min = 1;
  st.opacity_max = 0;
  for (size_t i = 0; i < s.count; ++i) {
    for (int a = 0; a < 3; ++a) {
      st.bounds_min[a] = std::min<double>(st.bounds_min[a], s.means[i * 3 + a]);
      st.bounds_max[a] = std::max<double>(st.bounds_max[a], s.means[i * 3 + a]);
    }
    const double op = 1.0 / (1.0 + std::exp(-double(s.opacity_logits[i])));
    op_sum += op;
    st.opacity_min = std::min(st.opacity_min, op);
    st.opacity_max = std::max(st.opacity_max, op);
  }
  st.opacity_mean = op_sum / double(s.count);
  std::vector<float> scales(s.log_scales);
  std::sort(scales.begin(), scales.end());
  st.scale_min = std::exp(double(scales.front()));
  st.scale_max = std::exp(double(scales.back()));
  st.scale_median = std::exp(double(scales[scales.size() / 2]));
  return st;
}

bool SplatData::all_finite() const {
  for (const auto* v : {&means, &log_scales, &quats, &opacity_logits, &sh_dc, &sh_rest})
    for (float x : *v)
      if (!std::isfinite(x)) return false;
  return true;
}

}  // namespace ttgs
