#include "model/appearance.hpp"

#include <limits>

namespace ttgs::model {

at::Tensor identity_appearance(int64_t images) {
  at::Tensor t = at::zeros({images, 3, 4}, at::kFloat);
  t.slice(2, 0, 3).copy_(at::eye(3, at::kFloat).expand({images, 3, 3}));
  return t;
}

at::Tensor apply_appearance(const at::Tensor& rgb, const at::Tensor& transform) {
  return rgb.matmul(transform.slice(1, 0, 3).t()) + transform.select(1, 3);
}

at::Tensor appearance_of(const at::Tensor& table, const std::vector<bool>& trained, const io::Dataset& ds,
                         size_t frame) {
  if (trained.at(frame)) return table[int64_t(frame)];
  const io::Frame& f = ds.frames[frame];
  // The same camera's trained frames nearest in time, before (or at) and after.
  long before = -1, after = -1;
  double t_before = -std::numeric_limits<double>::infinity(), t_after = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < ds.frames.size(); ++i) {
    if (!trained[i] || ds.frames[i].sensor_index != f.sensor_index) continue;
    const double t = ds.frames[i].time;
    if (t <= f.time && t > t_before) before = long(i), t_before = t;
    if (t > f.time && t < t_after) after = long(i), t_after = t;
  }
  if (before < 0 && after < 0) return identity_appearance(1)[0];
  if (before < 0) return table[after];
  if (after < 0 || t_after == t_before) return table[before];
  const double w = (f.time - t_before) / (t_after - t_before);
  return (1 - w) * table[before] + w * table[after];
}

}  // namespace ttgs::model
