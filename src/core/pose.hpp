#pragma once
// A rigid transform x_parent = rotation · x_local + translation: sensor-to-vehicle extrinsics, vehicle-to-world ego
// poses, actor box-to-world track poses.
#include "core/math.hpp"

namespace ttgs {

struct Pose {
  Mat3 rotation = identity3();
  Vec3 translation{0, 0, 0};

  Vec3 apply(const Vec3& x) const { return rotation * x + translation; }
  Pose compose(const Pose& child) const;  // this ∘ child: child's frame -> this pose's parent frame
  Pose inverse() const;
  Mat4 matrix() const { return rigid_matrix(rotation, translation); }
  // The rotation and translation of a 4x4 rigid matrix (the last row is not checked).
  static Pose from_matrix(const Mat4& m);
};

// Rotation by `angle` radians about the z axis (yaw, with z up).
Mat3 rotation_z(double angle);
// The yaw (rotation about z, radians) of a rotation's x axis.
double yaw_of(const Mat3& rotation);

}  // namespace ttgs
