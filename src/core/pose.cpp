#include "core/pose.hpp"

#include <cmath>

namespace ttgs {

Pose Pose::compose(const Pose& c) const { return {rotation * c.rotation, rotation * c.translation + translation}; }

Pose Pose::inverse() const {
  const Mat3 rt = transpose(rotation);
  return {rt, -1.0 * (rt * translation)};
}

Pose Pose::from_matrix(const Mat4& m) {
  Pose p;
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) p.rotation[r][c] = m[r][c];
    p.translation[r] = m[r][3];
  }
  return p;
}

Mat3 rotation_z(double a) { return Mat3{{{std::cos(a), -std::sin(a), 0}, {std::sin(a), std::cos(a), 0}, {0, 0, 1}}}; }

double yaw_of(const Mat3& r) { return std::atan2(r[1][0], r[0][0]); }

}  // namespace ttgs
