#include "synth/scaffold.hpp"

#include <algorithm>
#include <cmath>

#include "synth/hash.hpp"
#include "synth/raytrace.hpp"

namespace ttgs::synth {

PointCloud make_scaffold(const SynthScene& ss, const ScaffoldOptions& opt, uint64_t seed) {
  PointCloud pc;
  if (opt.points <= 0 || ss.num_train == 0) return pc;
  const Scene& scene = ss.scene;
  const RenderOptions render_opt;
  Rng rng(hash_combine(seed, 0x5CAF));
  const int64_t target = opt.points;
  const int64_t max_tries = target * 8;
  // Static surfaces only: actors move, so no single point set describes them.
  const auto keep = [&](const std::vector<Primitive>& placed, const Ray& ray) {
    std::optional<SurfaceHit> hit;
    const Vec3 color = trace(scene, placed, ray, render_opt, &hit);
    if (!hit || placed[size_t(hit->primitive)].actor >= 0) return;
    const Vec3 p = ray.origin + hit->hit.t * ray.dir;
    for (int a = 0; a < 3; ++a) {
      pc.positions.push_back(float(p[a]));
      pc.colors.push_back(float(color[a]));
    }
  };
  std::vector<std::vector<Primitive>> placed_per_view;
  for (int v = 0; v < ss.num_train; ++v) placed_per_view.push_back(place_at(scene, ss.views[size_t(v)].time));
  for (int64_t k = 0; k < max_tries && int64_t(pc.size()) < target; ++k) {
    const int v = int(k % ss.num_train);
    const ViewSpec& view = ss.views[size_t(v)];
    if (!opt.lidar) {
      const Camera& c = view.camera;
      keep(placed_per_view[size_t(v)], pixel_ray(c, rng.uniform() * c.width, rng.uniform() * c.height));
    } else {
      // 32 beams from 25 deg below to 5 deg above the horizon, spinning about the vertical axis, mounted 0.3 above
      // the camera.
      const int beam = int(rng.next_u64() % 32);
      const double elev = (-25.0 + 30.0 * beam / 31.0) * M_PI / 180, az = rng.uniform(0, 2 * M_PI);
      const Vec3 origin = view.camera.center() + Vec3{0, 0, 0.3};
      keep(placed_per_view[size_t(v)], {origin, {std::cos(elev) * std::cos(az), std::cos(elev) * std::sin(az), std::sin(elev)}});
    }
  }
  const size_t n = pc.size();
  if (opt.noise > 0)
    for (float& x : pc.positions) x += float(opt.noise * scene.radius * rng.normal());
  const size_t outliers = size_t(std::llround(opt.outliers * double(n)));
  for (size_t i = 0; i < outliers; ++i) {
    const size_t j = i * n / outliers;  // evenly spaced over points that were drawn in random order
    for (int a = 0; a < 3; ++a) {
      pc.positions[j * 3 + a] = float(rng.uniform(scene.bounds_min[a], scene.bounds_max[a]));
      pc.colors[j * 3 + a] = float(rng.uniform());
    }
  }
  return pc;
}

}  // namespace ttgs::synth
