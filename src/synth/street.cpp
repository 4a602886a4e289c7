// The street preset: a straight road with sidewalks, buildings, poles and signs, cars moving in both lanes, seen by a
// rig of up to six cameras on the ego vehicle driving down the right lane.
#include <algorithm>
#include <cmath>

#include "synth/preset_parts.hpp"

namespace ttgs::synth {
namespace {

constexpr double kPitch = 5 * kDeg;  // every camera looks this far below the horizon

// Camera mounts: name, yaw (degrees, left positive) and position on the vehicle (metres; x forward, z up).
struct Mount {
  const char* name;
  double yaw_deg;
  Vec3 position;
};
constexpr Mount kMounts[6] = {{"front", 0, {0, 0, 1.6}},        {"front_left", 50, {0.1, 0.3, 1.6}},
                              {"front_right", -50, {0.1, -0.3, 1.6}}, {"left", 100, {0, 0.4, 1.6}},
                              {"right", -100, {0, -0.4, 1.6}},  {"rear", 180, {-0.2, 0, 1.6}}};

// Poles (6 cm thick, 4 m tall) along both sidewalks, one in three carrying a sign facing the road: thin structures
// that vanish under careless downscaling. Drawn from their own generator, so the rest of the street does not change.
void add_thin_structures(Scene& s, const SynthOptions& o, double x0, double x1) {
  Rng rng(hash_combine(o.seed, 3));
  const int metal = add_material(s, fixed_texture(Pattern::Solid, {0.45, 0.46, 0.48}, {0, 0, 0}, 1.0, 0.02), 0.4, 64);
  static const Vec3 sign_colors[] = {{0.85, 0.1, 0.1}, {0.1, 0.3, 0.8}, {0.95, 0.8, 0.1}};
  for (double side : {-1.0, 1.0}) {
    for (double x = x0 + rng.uniform(0, 10); x < x1; x += rng.uniform(12, 20)) {
      const double y = side * 4.45, height = 4.0;
      s.primitives.push_back(prim(Shape::Cylinder, {x, y, 0.15 + height / 2}, {0.06, 0.06, height / 2}, metal));
      if (rng.integer(0, 2) == 0) {
        const Vec3 color = sign_colors[rng.integer(0, 2)];
        const int face = add_material(s, fixed_texture(Pattern::Solid, color, color, 1.0, 0.02), 0.2);
        s.primitives.push_back(prim(Shape::Box, {x, y, 0.15 + height - 0.4}, {0.02, 0.35, 0.35}, face));
      }
    }
  }
}

}  // namespace

SynthScene build_street(const SynthOptions& o) {
  SynthScene out;
  Scene& s = out.scene;
  Rng rng(hash_combine(o.seed, 2));
  const double dt = 0.1, v_ego = 8.0, lane = 2.0;
  const double path = v_ego * dt * std::max(1, o.views - 1);
  const double x0 = -30, x1 = path + 90;
  const double xm = 0.5 * (x0 + x1), half_len = 0.5 * (x1 - x0);
  const int asphalt = add_material(s, texture_or(o, rng, 0.4, fixed_texture(Pattern::ValueNoise, {0.22, 0.22, 0.24}, {0.34, 0.34, 0.35}, 0.4, 0.08)), 0.05);
  const int paint = add_material(s, fixed_texture(Pattern::Solid, {0.92, 0.92, 0.88}, {0.92, 0.92, 0.88}, 1.0, 0.03), 0.1);
  const int walk = add_material(s, texture_or(o, rng, 0.5, fixed_texture(Pattern::Checker, {0.62, 0.6, 0.58}, {0.5, 0.49, 0.47}, 0.5)), 0.02);
  const int grass = add_material(s, fixed_texture(Pattern::ValueNoise, {0.25, 0.4, 0.18}, {0.35, 0.5, 0.22}, 0.6, 0.1), 0.0);
  s.primitives.push_back(prim(Shape::Plane, {0, 0, -0.12}, {1, 1, 1}, grass));
  s.primitives.push_back(prim(Shape::Box, {xm, 0, -0.05}, {half_len, 4.0, 0.05}, asphalt));
  for (double side : {-1.0, 1.0}) {
    s.primitives.push_back(prim(Shape::Box, {xm, side * 5.25, 0.0}, {half_len, 1.25, 0.15}, walk));
    s.primitives.push_back(prim(Shape::Box, {xm, side * 3.75, 0.004}, {half_len, 0.08, 0.005}, paint));
  }
  for (double x = x0; x < x1; x += 8.0) s.primitives.push_back(prim(Shape::Box, {x, 0, 0.004}, {1.5, 0.08, 0.005}, paint));
  for (double side : {-1.0, 1.0}) {
    for (double x = x0; x < x1;) {
      const double w = rng.uniform(6, 14), depth = rng.uniform(8, 14), h = rng.uniform(6, 25), gap = rng.uniform(0.5, 3);
      const Texture fallback = fixed_texture(Pattern::Checker, {0.7, 0.62, 0.5}, {0.25, 0.3, 0.38}, 1.5);
      const int m = add_material(s, texture_or(o, rng, 1.5, fallback), 0.05);
      s.primitives.push_back(prim(Shape::Box, {x + w / 2, side * (6.5 + depth / 2), h / 2}, {w / 2, depth / 2, h / 2}, m));
      x += w + gap;
    }
  }
  // Cars: same-direction lane (ego lane, ahead of the ego) and the opposite lane, one speed per lane so cars in a
  // lane never overlap.
  const double v_same = v_ego * rng.uniform(1.0, 1.2), v_opp = rng.uniform(5, 12);
  const int cars = rng.integer(3, 5);
  double next_same = rng.uniform(12, 20), next_opp = rng.uniform(15, 30);
  for (int k = 0; k < cars; ++k) {
    const bool same = k % 2 == 0;
    Actor a;
    a.name = "car_" + std::to_string(k);
    a.box_size = {4.2, 1.8, 1.5};
    const double x = same ? next_same : next_opp;
    (same ? next_same : next_opp) += rng.uniform(9, 25);
    a.start.rotation = rotation_z(same ? 0.0 : M_PI);
    a.start.translation = {x, same ? -lane : lane, 0.75};
    a.velocity = {same ? v_same : -v_opp, 0, 0};
    s.actors.push_back(a);
    const int body = add_material(s, fixed_texture(Pattern::Solid, {rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9)}, {0, 0, 0}, 1.0, 0.02), 0.3, 64);
    const int dark = add_material(s, fixed_texture(Pattern::Solid, {0.08, 0.08, 0.1}, {0, 0, 0}, 1.0, 0.02), 0.2, 64);
    s.primitives.push_back(prim(Shape::Box, {0, 0, -0.05}, {2.1, 0.9, 0.4}, body, identity3(), k));
    s.primitives.push_back(prim(Shape::Box, {-0.3, 0, 0.55}, {1.1, 0.8, 0.2}, dark, identity3(), k));
    for (double wx : {-1.3, 1.3})
      for (double wy : {-0.78, 0.78})
        s.primitives.push_back(prim(Shape::Cylinder, {wx, wy, -0.45}, {0.3, 0.3, 0.1}, dark,
                                    rotation_axis_angle({1, 0, 0}, M_PI / 2), k));
  }
  s.center = {path / 2, 0, 3};
  s.radius = path / 2 + 20;
  s.bounds_min = {x0, -20, 0};
  s.bounds_max = {x1, 20, 25};
  set_lighting(s, o, rng, true);

  const Camera base = intrinsics(o, rng, 60, 80);
  add_thin_structures(s, o, x0, x1);
  const auto vehicle = [&](double t, double lateral) { return Pose{identity3(), {v_ego * t, -lane + lateral, 0}}; };
  const auto camera = [&](int c, const Pose& at) {
    const Mount& m = kMounts[c];
    const Vec3 eye = at.apply(m.position);
    const Vec3 forward = rotation_z(m.yaw_deg * kDeg) * Vec3{1, 0, -std::tan(kPitch)};
    return look_at(base, eye, eye + at.rotation * forward);
  };
  const auto views_at = [&](std::vector<ViewSpec>& list, const char* prefix, int i, const char* kind, double t,
                            double lateral) {
    for (int c = 0; c < o.cameras; ++c) {
      const std::string name = stem(prefix, i) + (o.cameras > 1 ? std::string("_") + kMounts[c].name : "");
      list.push_back({name, kind, camera(c, vehicle(t, lateral)), t, {}, kMounts[c].name});
    }
  };
  std::vector<ViewSpec> train, novel;
  for (int i = 0; i < o.views; ++i) views_at(train, "frame", i, "train", i * dt, 0);
  const int n_interp = (o.novel + 1) / 2;
  for (int k = 0; k < o.novel; ++k) {
    if (k < n_interp) {
      const double t = (std::floor((k + 0.5) * (o.views - 1) / n_interp) + 0.5) * dt;
      views_at(novel, "novel", k, "interpolated", t, 0);
    } else {
      const int j = k - n_interp;
      // Alternately past the end of the path and shifted sideways (a lane change the camera never made).
      const double t = j % 2 == 0 ? (o.views - 1 + 2 * (j / 2 + 1)) * dt : (j * (o.views - 1) / std::max(1, o.novel - n_interp)) * dt;
      views_at(novel, "novel", k, "extrapolated", t, j % 2 == 0 ? 0.0 : 1.0);
    }
  }
  add_views(out, o, o.seed, train, novel);
  SynthRig rig;
  for (int c = 0; c < o.cameras; ++c) {
    rig.cameras.push_back(kMounts[c].name);
    rig.camera_to_vehicle.push_back(Pose::from_matrix(camera(c, Pose{}).camera_to_world_opencv()));
  }
  for (const ViewSpec& v : out.views) rig.times.push_back(v.time);
  std::sort(rig.times.begin(), rig.times.end());
  rig.times.erase(std::unique(rig.times.begin(), rig.times.end()), rig.times.end());
  for (double t : rig.times) rig.vehicle_to_world.push_back(vehicle(t, 0));
  out.rig = rig;
  return out;
}


}  // namespace ttgs::synth
