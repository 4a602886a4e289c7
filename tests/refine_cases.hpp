#pragma once
// Shared by the refinement tests: cameras perturbed by known amounts, and how far refined cameras are from the truth.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/camera.hpp"
#include "io/dataset.hpp"
#include "refine/pose_correction.hpp"

namespace ttgs::test {

// Mean distance of the frames' camera centres from their mean (scripts/perturb-cameras.py's "radius").
inline double camera_path_radius(const io::Dataset& ds) {
  Vec3 mean{0, 0, 0};
  for (const io::Frame& f : ds.frames) mean = mean + (1.0 / double(ds.frames.size())) * f.camera.center();
  double r = 0;
  for (const io::Frame& f : ds.frames) r += norm(f.camera.center() - mean) / double(ds.frames.size());
  return r;
}

// Each of `frames` turned by `deg` about a random axis (about its own centre) and its centre moved by
// `frac * radius` in a random direction.
inline void perturb_frames(io::Dataset& ds, const std::vector<size_t>& frames, double deg, double frac, double radius,
                           unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> n;
  const auto unit = [&] {
    Vec3 v{n(rng), n(rng), n(rng)};
    return (1 / norm(v)) * v;
  };
  for (size_t i : frames) {
    Camera& c = ds.frames[i].camera;
    const Vec3 centre = c.center() + frac * radius * unit();
    const Vec3 axis = unit();
    const double a = deg * M_PI / 180;
    const Quat q{std::cos(a / 2), std::sin(a / 2) * axis[0], std::sin(a / 2) * axis[1], std::sin(a / 2) * axis[2]};
    c.R = quat_to_rotation(q) * c.R;
    c.t = -1.0 * (c.R * centre);
  }
}

struct CameraErrors {
  double mean_deg = 0, worst_deg = 0;  // rotation
  double mean = 0, worst = 0;          // centre distance / radius
};

inline CameraErrors camera_errors(const io::Dataset& truth, const std::vector<Camera>& cameras,
                                  const std::vector<size_t>& frames, double radius) {
  CameraErrors e;
  for (size_t i : frames) {
    const refine::PoseDifference d = refine::pose_difference(truth.frames[i].camera, cameras[i]);
    e.mean_deg += d.rotation_deg / double(frames.size());
    e.worst_deg = std::max(e.worst_deg, d.rotation_deg);
    e.mean += d.translation / radius / double(frames.size());
    e.worst = std::max(e.worst, d.translation / radius);
  }
  return e;
}

}  // namespace ttgs::test
