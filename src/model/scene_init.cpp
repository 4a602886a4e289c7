#include "model/scene_init.hpp"

#include <cmath>
#include <map>
#include <random>
#include <stdexcept>
#include <unordered_set>

#include "core/log.hpp"
#include "model/point_colours.hpp"

namespace ttgs::model {
namespace {

// Positions only: every point is coloured afterwards (colour_from_photos).
void add_point(PointCloud& pc, const Vec3& p) {
  for (size_t c = 0; c < 3; ++c) pc.positions.push_back(float(p[c]));
}

// Where a LiDAR return lies against an actor's box (box frame, full extents `s`): inside the box grown by 0.1
// (the actor's), near it (within `margin` sideways, above the ground plane's 0.2: the actor's or nothing's), or
// elsewhere.
enum class BoxSide { kInside, kNear, kOutside };
BoxSide box_side(const Vec3& local, const Vec3& s, double margin) {
  const double dx = std::abs(local[0]) - s[0] / 2, dy = std::abs(local[1]) - s[1] / 2;
  if (dx <= 0.1 && dy <= 0.1 && std::abs(local[2]) <= s[2] / 2 + 0.1) return BoxSide::kInside;
  if (dx <= margin && dy <= margin && local[2] >= -s[2] / 2 + 0.2 && local[2] <= s[2] / 2 + margin)
    return BoxSide::kNear;
  return BoxSide::kOutside;
}

// LiDAR returns split into static (world) and per-actor (box frame) clouds, uncoloured. Returns near a box but not
// in it are dropped: tracked boxes are noisy, and a moving actor's returns just outside its box would otherwise
// become static points along its path (a smear the camera stage then aligns to: 2-3 deg off on a street whose boxes
// were moved by 0.3 m and 3 deg).
void split_lidar(const io::Dataset& ds, bool actors, double margin, PointCloud& stat, std::vector<PointCloud>& parts) {
  for (const io::LidarSweep& sweep : ds.lidar) {
    std::vector<std::optional<Pose>> to_box(ds.actors.size());
    for (size_t a = 0; a < ds.actors.size() && actors; ++a)
      if (const auto pose = ds.actors[a].pose_at(sweep.time_index)) to_box[a] = pose->inverse();
    for (size_t i = 0; i < sweep.size(); ++i) {
      const Vec3 p{sweep.points[3 * i], sweep.points[3 * i + 1], sweep.points[3 * i + 2]};
      long owner = -1;
      bool near = false;
      Vec3 local{};
      for (size_t a = 0; a < to_box.size() && owner < 0; ++a) {
        if (!to_box[a]) continue;
        local = to_box[a]->apply(p);
        const BoxSide side = box_side(local, ds.actors[a].size, margin);
        if (side == BoxSide::kInside) owner = long(a);
        near = near || side == BoxSide::kNear;
      }
      if (owner >= 0) add_point(parts[size_t(owner)], local);
      else if (!near) add_point(stat, p);
    }
  }
}

}  // namespace

PointCloud static_lidar_points(const io::Dataset& ds, const SceneInitOptions& o) {
  PointCloud stat;
  std::vector<PointCloud> parts(ds.actors.size());
  split_lidar(ds, true, o.actor_margin, stat, parts);
  return voxel_thin(stat, 0.05, o.max_static_points);
}

namespace {

// Random points on the surface of a box of full extents `size` (box frame).
PointCloud box_surface(const Vec3& size, int64_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-0.5, 0.5);
  PointCloud pc;
  for (int64_t i = 0; i < count; ++i) {
    Vec3 p{u(rng) * size[0], u(rng) * size[1], u(rng) * size[2]};
    const size_t axis = size_t(rng() % 3);
    p[axis] = (rng() % 2 ? 0.5 : -0.5) * size[axis];
    add_point(pc, p);
  }
  return pc;
}

Gaussians with_part(Gaussians g, int64_t part) {
  g.part = at::full({g.size()}, part, at::kLong);
  return g;
}

}  // namespace

PointCloud voxel_thin(const PointCloud& pc, double voxel, int64_t max_points) {
  PointCloud out = pc;
  while (int64_t(out.size()) > max_points) {
    std::unordered_set<int64_t> seen;
    PointCloud kept;
    for (size_t i = 0; i < pc.size(); ++i) {
      int64_t key = 0;
      for (int c = 0; c < 3; ++c)
        key = key * 1000003 + int64_t(std::floor(pc.positions[3 * i + size_t(c)] / voxel));
      if (!seen.insert(key).second) continue;
      for (int c = 0; c < 3; ++c) {
        kept.positions.push_back(pc.positions[3 * i + size_t(c)]);
        kept.colors.push_back(pc.colors.empty() ? 0.5f : pc.colors[3 * i + size_t(c)]);
      }
    }
    out = kept;
    voxel *= 1.5;
  }
  return out;
}

SceneModel init_scene(const io::Dataset& ds, const Gaussians& static_gaussians, const SceneInitOptions& o) {
  SceneModel scene;
  const bool actors = o.actors && !ds.actors.empty();
  PointCloud stat;
  std::vector<PointCloud> parts(actors ? ds.actors.size() : 0);
  const bool lidar = o.lidar && !ds.lidar.empty();
  if (lidar) {
    split_lidar(ds, actors, o.actor_margin, stat, parts);
    stat = voxel_thin(stat, 0.05, o.max_static_points);
  }
  for (size_t a = 0; a < parts.size(); ++a)
    parts[a] = int64_t(parts[a].size()) < o.min_actor_points
                   ? box_surface(ds.actors[a].size, o.surface_points, o.seed * 7919 + a)
                   : voxel_thin(parts[a], 0.02, 20000);
  colour_from_photos(ds, stat, parts);
  Gaussians g = lidar ? init_from_points(stat, o.base) : static_gaussians;
  if (actors) {
    g = with_part(g, -1);
    for (size_t a = 0; a < parts.size(); ++a)
      g = concat(g, with_part(init_from_points(parts[a], o.base), int64_t(a)));
    scene.actors = actor_poses(ds.actors, ds.timestamps.size());
  }
  scene.gaussians = g;
  scene.antialiased = o.antialiased;
  if (o.environment) {
    std::vector<Camera> cams;
    for (size_t i : ds.train) cams.push_back(ds.frames[i].camera);
    scene.environment = make_environment(mean_camera_up(cams));
  }
  if (o.appearance) {
    scene.appearance = identity_appearance(int64_t(ds.frames.size()));
    scene.appearance_trained.assign(ds.frames.size(), false);
    for (size_t i : ds.train) scene.appearance_trained[i] = true;
  }
  note("scene model: " + std::to_string(g.size()) + " Gaussians" +
       (actors ? ", " + std::to_string(ds.actors.size()) + " actors" : std::string()) +
       (lidar ? " (from " + std::to_string(ds.lidar.size()) + " LiDAR sweeps)" : std::string()) +
       (o.environment ? ", environment map" : "") + (o.appearance ? ", per-image appearance" : "") +
       (o.antialiased ? ", antialiased" : ""));
  return scene;
}

std::vector<io::LidarSweep> sweeps_from_depth(const io::Dataset& ds, const std::vector<size_t>& frames, int stride) {
  if (stride < 1) throw std::invalid_argument("sweeps_from_depth: stride must be at least 1");
  std::map<int, io::LidarSweep> by_time;
  for (size_t i : frames) {
    std::optional<io::Frame> decoded;
    const io::Frame& f = io::pixels_of(ds.frames.at(i), decoded);  // decoded now when loaded lazily
    if (!f.depth || f.depth->empty()) continue;
    const Image& d = *f.depth;
    // Depth maps may be stored at another resolution than the photo: scale the intrinsics to the map.
    const double sx = double(d.width) / f.camera.width, sy = double(d.height) / f.camera.height;
    const Mat4 to_world = f.camera.camera_to_world_opencv();
    io::LidarSweep& sweep = by_time[f.time_index];
    sweep.time_index = f.time_index;
    sweep.time = f.time;
    sweep.origin = f.camera.center();
    for (int y = stride / 2; y < d.height; y += stride)
      for (int x = stride / 2; x < d.width; x += stride) {
        const double z = d.at(x, y);
        if (!(z > 0) || !std::isfinite(z)) continue;
        const double cx = (x + 0.5 - f.camera.cx * sx) / (f.camera.fx * sx) * z;
        const double cy = (y + 0.5 - f.camera.cy * sy) / (f.camera.fy * sy) * z;
        for (size_t r = 0; r < 3; ++r)
          sweep.points.push_back(float(to_world[r][0] * cx + to_world[r][1] * cy + to_world[r][2] * z + to_world[r][3]));
      }
  }
  std::vector<io::LidarSweep> sweeps;
  for (auto& [t, sweep] : by_time) sweeps.push_back(std::move(sweep));
  return sweeps;
}

}  // namespace ttgs::model
