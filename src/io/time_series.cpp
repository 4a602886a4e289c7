#include "io/time_series.hpp"

#include <algorithm>

namespace ttgs::io {

std::optional<Pose> ActorTrack::pose_at(int time_index) const {
  const auto it = std::lower_bound(time_indices.begin(), time_indices.end(), time_index);
  if (it == time_indices.end() || *it != time_index) return std::nullopt;
  return object_to_world[size_t(it - time_indices.begin())];
}

}  // namespace ttgs::io
