#pragma once
// Small fixed-size double-precision linear algebra for cameras and geometry.
#include <array>
#include <cmath>

namespace ttgs {

using Vec3 = std::array<double, 3>;
using Mat3 = std::array<std::array<double, 3>, 3>;  // row-major: m[row][col]
using Mat4 = std::array<std::array<double, 4>, 4>;
using Quat = std::array<double, 4>;  // w, x, y, z

inline Mat3 identity3() { return Mat3{{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}}; }
inline Mat4 identity4() { return Mat4{{{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}}}; }

inline Vec3 operator+(const Vec3& a, const Vec3& b) { return {a[0] + b[0], a[1] + b[1], a[2] + b[2]}; }
inline Vec3 operator-(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
inline Vec3 operator*(double s, const Vec3& a) { return {s * a[0], s * a[1], s * a[2]}; }
inline double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
inline double norm(const Vec3& a) { return std::sqrt(dot(a, a)); }
inline Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}

inline Vec3 operator*(const Mat3& m, const Vec3& v) {
  return {dot({m[0][0], m[0][1], m[0][2]}, v), dot({m[1][0], m[1][1], m[1][2]}, v),
          dot({m[2][0], m[2][1], m[2][2]}, v)};
}
inline Mat3 operator*(const Mat3& a, const Mat3& b) {
  Mat3 r{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 3; ++k) r[i][j] += a[i][k] * b[k][j];
  return r;
}
inline Mat3 transpose(const Mat3& m) {
  Mat3 r{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r[i][j] = m[j][i];
  return r;
}

// The 4x4 matrix of the rigid transform x -> R x + t.
inline Mat4 rigid_matrix(const Mat3& R, const Vec3& t) {
  Mat4 m = identity4();
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) m[i][j] = R[i][j];
    m[i][3] = t[i];
  }
  return m;
}

// Rotation matrix of a quaternion (w, x, y, z); the quaternion need not be normalized.
Mat3 quat_to_rotation(const Quat& q);
// Unit quaternion (w >= 0) of a rotation matrix.
Quat rotation_to_quat(const Mat3& r);

}  // namespace ttgs
