#include "eval/regions.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

namespace ttgs::eval {
namespace {

// Camera-frame corners of a box (half extents h) posed by `box_to_world`.
std::array<Vec3, 8> camera_corners(const Camera& camera, const Pose& box_to_world, const Vec3& h) {
  std::array<Vec3, 8> out;
  for (int k = 0; k < 8; ++k) {
    const Vec3 local{(k & 1 ? 1 : -1) * h[0], (k & 2 ? 1 : -1) * h[1], (k & 4 ? 1 : -1) * h[2]};
    out[size_t(k)] = camera.world_to_camera(box_to_world.apply(local));
  }
  return out;
}

}  // namespace

std::optional<PixelRect> box_rect(const Camera& camera, const Pose& box_to_world, const Vec3& half) {
  constexpr double kNear = 0.1;
  const std::array<Vec3, 8> c = camera_corners(camera, box_to_world, half);
  std::vector<Vec3> front;
  for (const Vec3& p : c)
    if (p[2] > kNear) front.push_back(p);
  for (int a = 0; a < 8; ++a)
    for (int bit : {1, 2, 4}) {
      const int b = a | bit;
      if (b == a) continue;
      const Vec3 &p = c[size_t(a)], &q = c[size_t(b)];
      if ((p[2] > kNear) != (q[2] > kNear)) {
        const double s = (kNear - p[2]) / (q[2] - p[2]);
        front.push_back(p + s * (q - p));
      }
    }
  if (front.empty()) return std::nullopt;
  PixelRect r{INFINITY, INFINITY, -INFINITY, -INFINITY};
  for (const Vec3& p : front) {
    const double u = camera.fx * p[0] / p[2] + camera.cx, v = camera.fy * p[1] / p[2] + camera.cy;
    r.x0 = std::min(r.x0, u), r.x1 = std::max(r.x1, u), r.y0 = std::min(r.y0, v), r.y1 = std::max(r.y1, v);
  }
  return r;
}

at::Tensor actor_box_mask(const io::Dataset& ds, size_t frame, const Camera& camera) {
  const io::Frame& f = ds.frames.at(frame);
  at::Tensor mask = at::zeros({camera.height, camera.width, 1}, at::kFloat);
  for (const io::ActorTrack& track : ds.actors) {
    const std::optional<Pose> pose = track.pose_at(f.time_index);
    if (!pose) continue;
    const std::optional<PixelRect> r = box_rect(camera, *pose, 0.5 * track.size);
    if (!r) continue;
    const int64_t i0 = std::max<int64_t>(0, int64_t(std::floor(r->x0))), i1 = std::min<int64_t>(camera.width, int64_t(std::ceil(r->x1)));
    const int64_t j0 = std::max<int64_t>(0, int64_t(std::floor(r->y0))), j1 = std::min<int64_t>(camera.height, int64_t(std::ceil(r->y1)));
    if (i0 < i1 && j0 < j1) mask.slice(0, j0, j1).slice(1, i0, i1).fill_(1);
  }
  return mask;
}

}  // namespace ttgs::eval
