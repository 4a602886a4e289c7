#include "synth/primitives.hpp"

#include <cmath>

namespace ttgs::synth {
namespace {
constexpr double kInf = 1e300;

Vec3 face_forward(Vec3 n, const Vec3& dir) { return dot(n, dir) > 0 ? -1.0 * n : n; }
}  // namespace

std::optional<Hit> intersect(const Primitive& p, const Ray& ray, double t_min, double t_max) {
  const Mat3 Rt = transpose(p.rotation);
  const Vec3 o = Rt * (ray.origin - p.center), d = Rt * ray.dir;  // ray in the local frame (unit length kept)
  Hit h;
  Vec3 n_local{0, 0, 0};
  switch (p.shape) {
    case Shape::Plane: {
      if (std::abs(d[2]) < 1e-12) return std::nullopt;
      h.t = -o[2] / d[2];
      n_local = {0, 0, 1};
      break;
    }
    case Shape::Sphere: {
      const double r = p.size[0], b = dot(o, d), c = dot(o, o) - r * r, disc = b * b - c;
      if (disc < 0) return std::nullopt;
      const double s = std::sqrt(disc);
      h.t = -b - s;
      if (h.t <= t_min) h.t = -b + s;
      n_local = o + h.t * d;
      n_local = (1.0 / r) * n_local;
      break;
    }
    case Shape::Box: {
      double t0 = -kInf, t1 = kInf;
      int axis0 = 0, axis1 = 0;
      for (int a = 0; a < 3; ++a) {
        if (std::abs(d[a]) < 1e-15) {
          if (std::abs(o[a]) > p.size[a]) return std::nullopt;
          continue;
        }
        double ta = (-p.size[a] - o[a]) / d[a], tb = (p.size[a] - o[a]) / d[a];
        if (ta > tb) std::swap(ta, tb);
        if (ta > t0) { t0 = ta; axis0 = a; }
        if (tb < t1) { t1 = tb; axis1 = a; }
      }
      if (t0 > t1) return std::nullopt;
      int axis = axis0;
      h.t = t0;
      if (h.t <= t_min) { h.t = t1; axis = axis1; }
      const Vec3 q = o + h.t * d;
      n_local = {0, 0, 0};
      n_local[axis] = q[axis] > 0 ? 1 : -1;
      break;
    }
    case Shape::Cylinder: {
      const double r = p.size[0], hh = p.size[2];
      double best = kInf;
      // Side: x² + y² = r² with |z| <= hh.
      const double a = d[0] * d[0] + d[1] * d[1];
      if (a > 1e-15) {
        const double b = o[0] * d[0] + o[1] * d[1], c = o[0] * o[0] + o[1] * o[1] - r * r, disc = b * b - a * c;
        if (disc >= 0) {
          const double s = std::sqrt(disc);
          for (double t : {(-b - s) / a, (-b + s) / a}) {
            const double z = o[2] + t * d[2];
            if (t > t_min && t < best && std::abs(z) <= hh) {
              best = t;
              n_local = {(o[0] + t * d[0]) / r, (o[1] + t * d[1]) / r, 0};
            }
          }
        }
      }
      // Caps.
      if (std::abs(d[2]) > 1e-15)
        for (double zc : {-hh, hh}) {
          const double t = (zc - o[2]) / d[2];
          const double x = o[0] + t * d[0], y = o[1] + t * d[1];
          if (t > t_min && t < best && x * x + y * y <= r * r) {
            best = t;
            n_local = {0, 0, zc > 0 ? 1.0 : -1.0};
          }
        }
      if (best == kInf) return std::nullopt;
      h.t = best;
      break;
    }
  }
  if (!(h.t > t_min && h.t < t_max)) return std::nullopt;
  h.local = o + h.t * d;
  h.normal = face_forward(p.rotation * n_local, ray.dir);
  return h;
}


Mat3 rotation_axis_angle(const Vec3& axis, double angle) {
  const double n = norm(axis);
  const double s = std::sin(angle / 2) / n;
  return quat_to_rotation({std::cos(angle / 2), axis[0] * s, axis[1] * s, axis[2] * s});
}

}  // namespace ttgs::synth
