#include "model/point_colours.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <optional>

#include "core/point_depth.hpp"

namespace ttgs::model {
namespace {

// One photo's view of the points: camera coordinates and pixel of each point in front of it.
struct Projected {
  std::vector<uint32_t> point;  // index into the concatenated clouds
  std::vector<float> depth, u, v;
};

// The clouds as seen by one photo: the world points as they are, each actor's placed at the photo's timestamp
// (actors without a pose then are left out).
Projected project_points(const io::Dataset& ds, const io::Frame& f, const PointCloud& world,
                         const std::vector<PointCloud>& actor_parts) {
  Projected out;
  auto add = [&](const PointCloud& pc, uint32_t first, const std::optional<Pose>& to_world) {
    for (size_t i = 0; i < pc.size(); ++i) {
      Vec3 p{pc.positions[3 * i], pc.positions[3 * i + 1], pc.positions[3 * i + 2]};
      if (to_world) p = to_world->apply(p);
      const double z = f.camera.world_to_camera(p)[2];
      if (!(z > 0.1)) continue;
      const auto uv = f.camera.project(p);
      if (!(uv[0] >= 0 && uv[1] >= 0 && uv[0] < f.camera.width && uv[1] < f.camera.height)) continue;
      out.point.push_back(first + uint32_t(i));
      out.depth.push_back(float(z));
      out.u.push_back(float(uv[0]));
      out.v.push_back(float(uv[1]));
    }
  };
  add(world, 0, std::nullopt);
  uint32_t first = uint32_t(world.size());
  for (size_t a = 0; a < actor_parts.size(); ++a) {
    if (const auto pose = ds.actors[a].pose_at(f.time_index)) add(actor_parts[a], first, pose);
    first += uint32_t(actor_parts[a].size());
  }
  return out;
}

// Up to kKept colours per point, a uniform sample of all the photos that see it (reservoir sampling with a fixed
// hash, so the result is deterministic): memory bounded by the points, not by points x photos (a 1,200-image log).
constexpr uint32_t kKept = 16;
struct ColourSamples {
  std::vector<uint32_t> seen;                   // photos that saw each point
  std::vector<std::array<uint8_t, 3>> colours;  // kKept per point
  explicit ColourSamples(size_t points) : seen(points, 0), colours(points * kKept) {}
  void add(uint32_t point, const std::array<uint8_t, 3>& rgb) {
    const uint32_t n = seen[point]++;
    uint64_t slot = n;
    if (n >= kKept) {
      uint64_t z = (uint64_t(point) << 32 | n) + 0x9e3779b97f4a7c15ULL;  // splitmix64
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      slot = (z ^ (z >> 31)) % (uint64_t(n) + 1);
      if (slot >= kKept) return;
    }
    colours[size_t(point) * kKept + slot] = rgb;
  }
};

void sample_photo(const io::Frame& f, const Projected& p, ColourSamples& samples) {
  const PointDepthBuffer front = point_depth_buffer(p.u.data(), p.v.data(), p.depth.data(), p.point.size(),
                                                   f.camera.width, f.camera.height,
                                                   point_depth_cell(f.camera.width, f.camera.height));
  for (size_t k = 0; k < p.point.size(); ++k) {
    if (!front.visible(p.u[k], p.v[k], p.depth[k])) continue;  // behind a nearer surface
    const int x = std::min(int(p.u[k]), f.image.width - 1), y = std::min(int(p.v[k]), f.image.height - 1);
    samples.add(p.point[k], {f.image.at(x, y, 0), f.image.at(x, y, 1), f.image.at(x, y, 2)});
  }
}

}  // namespace

void colour_from_photos(const io::Dataset& ds, PointCloud& world, std::vector<PointCloud>& actor_parts) {
  std::vector<PointCloud*> clouds{&world};
  for (PointCloud& pc : actor_parts) clouds.push_back(&pc);
  size_t total = 0;
  for (const PointCloud* pc : clouds) total += pc->size();
  if (total == 0) return;  // nothing to colour: no photo decoded
  ColourSamples samples(total);
  for (size_t i : ds.train) {
    if (!io::has_pixels(ds.frames[i])) continue;
    std::optional<io::Frame> decoded;
    const io::Frame& f = io::pixels_of(ds.frames[i], decoded, false);
    sample_photo(f, project_points(ds, f, world, actor_parts), samples);
  }
  size_t point = 0;
  std::vector<uint8_t> channel;
  for (PointCloud* pc : clouds) {
    pc->colors.assign(pc->positions.size(), 0.5f);
    for (size_t i = 0; i < pc->size(); ++i, ++point) {
      const size_t kept = std::min<size_t>(samples.seen[point], kKept);
      for (size_t c = 0; c < 3 && kept > 0; ++c) {
        channel.clear();
        for (size_t k = 0; k < kept; ++k) channel.push_back(samples.colours[point * kKept + k][c]);
        std::nth_element(channel.begin(), channel.begin() + ptrdiff_t(kept / 2), channel.end());
        pc->colors[3 * i + c] = float(channel[kept / 2]) / 255.f;
      }
    }
  }
}

}  // namespace ttgs::model
