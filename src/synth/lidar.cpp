#include "synth/lidar.hpp"

#include <cmath>

#include "core/parallel.hpp"
#include "synth/raytrace.hpp"

namespace ttgs::synth {

LidarScan scan_lidar(const Scene& scene, double time, const Pose& vehicle, const LidarOptions& o) {
  const std::vector<Primitive> placed = place_at(scene, time);
  LidarScan scan;
  scan.origin = vehicle.apply(o.mount);
  const int n = o.beams * o.azimuths;
  std::vector<float> hit_t(size_t(n), -1.f), cosine(size_t(n), 0.f);
  std::vector<Vec3> dirs(static_cast<size_t>(n));
  for (int b = 0; b < o.beams; ++b) {
    const double elev = (o.min_elevation_deg + (o.max_elevation_deg - o.min_elevation_deg) * b /
                                                   std::max(1, o.beams - 1)) * M_PI / 180;
    for (int a = 0; a < o.azimuths; ++a) {
      const double az = 2 * M_PI * a / o.azimuths;
      const Vec3 local{std::cos(elev) * std::cos(az), std::cos(elev) * std::sin(az), std::sin(elev)};
      dirs[size_t(b * o.azimuths + a)] = vehicle.rotation * local;
    }
  }
  parallel_for(0, n, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const std::optional<SurfaceHit> hit = closest_hit(placed, {scan.origin, dirs[size_t(i)]});
      if (!hit || hit->hit.t > o.max_range) continue;
      hit_t[size_t(i)] = float(hit->hit.t);
      cosine[size_t(i)] = float(std::abs(dot(hit->hit.normal, dirs[size_t(i)])));
    }
  }, 256);
  for (int i = 0; i < n; ++i) {
    if (hit_t[size_t(i)] < 0) continue;
    const Vec3 p = scan.origin + double(hit_t[size_t(i)]) * dirs[size_t(i)];
    for (int c = 0; c < 3; ++c) scan.points.push_back(float(p[c]));
    scan.intensity.push_back(cosine[size_t(i)]);
  }
  return scan;
}

}  // namespace ttgs::synth
