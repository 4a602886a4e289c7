#include "refine/box_registration.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace ttgs::refine {
namespace {

struct Face {
  double nx = 0, ny = 0, offset = 0;  // outward normal (box frame) and distance of the face from the centre
};

// The vertical faces the sensor sees at more than a grazing angle (10 degrees): a face seen edge-on holds too few
// returns to place it, and would claim returns that belong to the face beside it.
std::vector<Face> visible_faces(const Vec3& sensor, const Vec3& half) {
  const double grazing = 0.17 * std::hypot(sensor[0], sensor[1]);
  std::vector<Face> out;
  for (const Face& f : {Face{1, 0, half[0]}, Face{-1, 0, half[0]}, Face{0, 1, half[1]}, Face{0, -1, half[1]}})
    if (f.nx * sensor[0] + f.ny * sensor[1] - f.offset > grazing) out.push_back(f);
  return out;
}

// Normal equations of the 3 motion parameters (δθ, δvx, δvy), and their damped solution.
struct Normal3 {
  double a[3][3] = {}, b[3] = {};
  void add(const double j[3], double residual, double weight = 1) {
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) a[r][c] += weight * j[r] * j[c];
      b[r] -= weight * j[r] * residual;
    }
  }
  // A direction nothing constrains (a[k][k] ~ 0) gets no step. False when singular.
  bool solve(double step[3]) const {
    double m[3][3];
    const double trace = a[0][0] + a[1][1] + a[2][2];
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) m[r][c] = a[r][c] + (r == c ? 1e-3 * a[r][r] + 1e-6 * trace + 1e-12 : 0.0);
    const auto det3 = [](const double x[3][3]) {
      return x[0][0] * (x[1][1] * x[2][2] - x[1][2] * x[2][1]) - x[0][1] * (x[1][0] * x[2][2] - x[1][2] * x[2][0]) +
             x[0][2] * (x[1][0] * x[2][1] - x[1][1] * x[2][0]);
    };
    const double det = det3(m);
    if (!(std::abs(det) > 0)) return false;
    for (int k = 0; k < 3; ++k) {  // Cramer's rule
      double x[3][3];
      for (int r = 0; r < 3; ++r)
        for (int c = 0; c < 3; ++c) x[r][c] = c == k ? b[r] : m[r][c];
      step[k] = det3(x) / det;
    }
    return true;
  }
};

double percentile(std::vector<double> v, double q) {
  const size_t k = std::min(v.size() - 1, size_t(q * double(v.size() - 1) + 0.5));
  std::nth_element(v.begin(), v.begin() + std::ptrdiff_t(k), v.end());
  return v[k];
}

}  // namespace

std::optional<BoxCorrection> fit_box(const std::vector<Vec3>& returns, const Vec3& sensor, const Vec3& half,
                                     const BoxFitOptions& o) {
  const std::vector<Face> faces = visible_faces(sensor, half);
  if (faces.empty()) return std::nullopt;
  // The points move by the inverse correction: q = R(θ) p + v with (θ, v) accumulated, c = (θ, v)⁻¹.
  double theta = 0, vx = 0, vy = 0;
  for (int it = 0; it < o.iterations; ++it) {
    const double f = o.iterations > 1 ? double(it) / double(o.iterations - 1) : 1.0;
    const double reach = o.max_distance + f * (o.min_distance - o.max_distance);
    const double co = std::cos(theta), si = std::sin(theta);
    Normal3 n;
    std::vector<double> along;  // one face seen: the returns' coordinate along it (not only the face's own: few)
    size_t used = 0;
    for (const Vec3& p : returns) {
      const double qx = co * p[0] - si * p[1] + vx, qy = si * p[0] + co * p[1] + vy;
      if (faces.size() == 1) {  // returns within the box's extent along the face (and 0.15 m beyond)
        const double u = -faces[0].ny * qx + faces[0].nx * qy;
        if (std::abs(u) <= std::abs(faces[0].ny) * half[0] + std::abs(faces[0].nx) * half[1] + 0.15) along.push_back(u);
      }
      const Face* best = nullptr;
      double distance = 0;
      for (const Face& face : faces) {
        const double d = face.nx * qx + face.ny * qy - face.offset;
        if (!best || std::abs(d) < std::abs(distance)) best = &face, distance = d;
      }
      if (std::abs(distance) > reach) continue;
      // d(distance) / d(δθ, δvx, δvy) for q -> R(δθ) q + δv about the current q.
      const double j[3] = {best->nx * -qy + best->ny * qx, best->nx, best->ny};
      n.add(j, distance);
      ++used;
    }
    if (used < o.min_points) return std::nullopt;
    if (faces.size() == 1 && !along.empty()) {  // centre the box on the returns' extent along the face
      const double centre = 0.5 * (percentile(along, 0.02) + percentile(along, 0.98));
      const double j[3] = {0, -faces[0].ny, faces[0].nx};
      n.add(j, centre, double(used));
    }
    double step[3];
    if (!n.solve(step)) break;
    // Compose the step after the current motion: q -> R(δθ)(R(θ) p + v) + δv.
    const double cs = std::cos(step[0]), ss = std::sin(step[0]);
    const double nvx = cs * vx - ss * vy + step[1], nvy = ss * vx + cs * vy + step[2];
    theta += step[0], vx = nvx, vy = nvy;
  }
  // c = (θ, v)⁻¹: x -> R(-θ)(x - v).
  const double co = std::cos(theta), si = std::sin(theta);
  return BoxCorrection{-(co * vx + si * vy), -(-si * vx + co * vy), -theta};
}

}  // namespace ttgs::refine
