#include "core/camera.hpp"

#include <algorithm>

namespace ttgs {

Mat3 quat_to_rotation(const Quat& q0) {
  const double n = std::sqrt(q0[0] * q0[0] + q0[1] * q0[1] + q0[2] * q0[2] + q0[3] * q0[3]);
  const double w = q0[0] / n, x = q0[1] / n, y = q0[2] / n, z = q0[3] / n;
  return Mat3{{{1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)},
               {2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)},
               {2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)}}};
}

Quat rotation_to_quat(const Mat3& m) {
  Quat q;
  const double tr = m[0][0] + m[1][1] + m[2][2];
  if (tr > 0) {
    const double s = std::sqrt(tr + 1.0) * 2;
    q = {0.25 * s, (m[2][1] - m[1][2]) / s, (m[0][2] - m[2][0]) / s, (m[1][0] - m[0][1]) / s};
  } else if (m[0][0] > m[1][1] && m[0][0] > m[2][2]) {
    const double s = std::sqrt(1.0 + m[0][0] - m[1][1] - m[2][2]) * 2;
    q = {(m[2][1] - m[1][2]) / s, 0.25 * s, (m[0][1] + m[1][0]) / s, (m[0][2] + m[2][0]) / s};
  } else if (m[1][1] > m[2][2]) {
    const double s = std::sqrt(1.0 + m[1][1] - m[0][0] - m[2][2]) * 2;
    q = {(m[0][2] - m[2][0]) / s, (m[0][1] + m[1][0]) / s, 0.25 * s, (m[1][2] + m[2][1]) / s};
  } else {
    const double s = std::sqrt(1.0 + m[2][2] - m[0][0] - m[1][1]) * 2;
    q = {(m[1][0] - m[0][1]) / s, (m[0][2] + m[2][0]) / s, (m[1][2] + m[2][1]) / s, 0.25 * s};
  }
  const double sign = q[0] < 0 ? -1.0 : 1.0;
  const double n = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  for (auto& v : q) v *= sign / n;
  return q;
}

Vec3 Camera::center() const { return -1.0 * (transpose(R) * t); }

Vec3 Camera::world_to_camera(const Vec3& p) const { return R * p + t; }

std::array<double, 2> Camera::project(const Vec3& p_world) const {
  const Vec3 c = world_to_camera(p_world);
  return {fx * c[0] / c[2] + cx, fy * c[1] / c[2] + cy};
}

Mat4 Camera::world_to_camera_matrix() const { return rigid_matrix(R, t); }

Mat4 Camera::camera_to_world_opencv() const { return rigid_matrix(transpose(R), center()); }

// OpenGL camera axes are OpenCV's with y and z flipped: c2w_gl = c2w_cv · diag(1, -1, -1, 1).
Mat4 Camera::camera_to_world_opengl() const {
  Mat4 m = camera_to_world_opencv();
  for (int i = 0; i < 3; ++i) {
    m[i][1] = -m[i][1];
    m[i][2] = -m[i][2];
  }
  return m;
}

void Camera::set_camera_to_world_opengl(const Mat4& c2w_gl) {
  Mat4 cv = c2w_gl;
  for (int i = 0; i < 3; ++i) {
    cv[i][1] = -cv[i][1];
    cv[i][2] = -cv[i][2];
  }
  set_camera_to_world_opencv(cv);
}

void Camera::set_camera_to_world_opencv(const Mat4& c2w) {
  Mat3 Rc2w;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) Rc2w[i][j] = c2w[i][j];
  // Re-orthonormalize through the quaternion so slightly non-rigid inputs become exact rotations.
  R = transpose(quat_to_rotation(rotation_to_quat(Rc2w)));
  t = -1.0 * (R * Vec3{c2w[0][3], c2w[1][3], c2w[2][3]});
}

void Camera::look_at(const Vec3& eye, const Vec3& target, const Vec3& up) {
  const Vec3 f = (1.0 / norm(target - eye)) * (target - eye);
  const Vec3 r0 = cross(f, up);
  const Vec3 r = (1.0 / norm(r0)) * r0;
  const Vec3 d = cross(f, r);
  Mat4 c2w = identity4();
  for (int i = 0; i < 3; ++i) {
    c2w[i][0] = r[i];
    c2w[i][1] = d[i];
    c2w[i][2] = f[i];
    c2w[i][3] = eye[i];
  }
  set_camera_to_world_opencv(c2w);
}

Camera Camera::downscaled(int factor) const {
  Camera c = *this;
  if (factor <= 1) return c;
  c.fx /= factor;
  c.fy /= factor;
  c.cx /= factor;
  c.cy /= factor;
  c.width = width / factor;
  c.height = height / factor;
  return c;
}

}  // namespace ttgs
