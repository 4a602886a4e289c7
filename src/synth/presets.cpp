#include "synth/presets.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "synth/hash.hpp"
#include "synth/preset_parts.hpp"

namespace ttgs::synth {

Camera look_at(Camera cam, const Vec3& eye, const Vec3& target) {
  cam.look_at(eye, target, {0, 0, 1});
  return cam;
}

Camera intrinsics(const SynthOptions& o, Rng& rng, double fov_lo, double fov_hi) {
  Camera c;
  c.width = o.width;
  c.height = o.height;
  const double fov = o.randomize.intrinsics ? rng.uniform(fov_lo, fov_hi) : 0.5 * (fov_lo + fov_hi);
  c.fx = c.fy = 0.5 * o.width / std::tan(0.5 * fov * kDeg);
  c.cx = 0.5 * o.width + (o.randomize.intrinsics ? rng.uniform(-0.03, 0.03) * o.width : 0.0);
  c.cy = 0.5 * o.height + (o.randomize.intrinsics ? rng.uniform(-0.03, 0.03) * o.height : 0.0);
  return c;
}

void set_lighting(Scene& s, const SynthOptions& o, Rng& rng, bool clouds) {
  const bool r = o.randomize.lighting;
  const double az = r ? rng.uniform(0, 2 * M_PI) : 45 * kDeg, el = r ? rng.uniform(25, 70) * kDeg : 50 * kDeg;
  s.light.direction = {std::cos(el) * std::cos(az), std::cos(el) * std::sin(az), std::sin(el)};
  s.light.color = color_temperature_rgb(r ? rng.uniform(4000, 8000) : 6500);
  s.light.intensity = r ? rng.uniform(0.7, 1.2) : 1.0;
  const double amb = r ? rng.uniform(0.15, 0.4) : 0.25;
  s.light.ambient = {amb, amb, amb * 1.05};
  s.sky.cloud_cover = clouds ? (r ? rng.uniform(0.0, 0.6) : 0.3) : 0.0;
  s.sky.cloud_scale = 0.6;
  s.sky.seed = rng.next_u64();
  if (r) {
    const double shift = rng.uniform(-0.08, 0.08);
    s.sky.zenith = {0.3 + shift, 0.5 + shift, 0.85};
  }
}

int add_material(Scene& s, const Texture& t, double specular, double shininess) {
  s.materials.push_back({t, specular, shininess});
  return int(s.materials.size()) - 1;
}

Texture fixed_texture(Pattern p, Vec3 a, Vec3 b, double scale, double detail) {
  Texture t;
  t.pattern = p;
  t.color_a = a;
  t.color_b = b;
  t.scale = scale;
  t.detail = detail;
  t.detail_scale = scale * 0.05;
  return t;
}

Texture texture_or(const SynthOptions& o, Rng& rng, double scale, const Texture& fallback) {
  // Draw the random texture either way, so switching textures off leaves the rest of the scene unchanged.
  const Texture t = random_texture(rng, scale);
  return o.randomize.textures ? t : fallback;
}

Primitive prim(Shape shape, Vec3 center, Vec3 size, int material, Mat3 rotation, int actor) {
  Primitive p;
  p.shape = shape;
  p.center = center;
  p.size = size;
  p.material = material;
  p.rotation = rotation;
  p.actor = actor;
  return p;
}

void add_views(SynthScene& out, const SynthOptions& o, uint64_t seed, const std::vector<ViewSpec>& train,
               const std::vector<ViewSpec>& novel) {
  out.views = train;
  out.views.insert(out.views.end(), novel.begin(), novel.end());
  out.num_train = int(train.size());
  for (size_t i = 0; i < out.views.size(); ++i) {
    Rng rng(hash_combine(seed, 0x5E11508 + i));
    const SensorEffects e = random_sensor_effects(rng);
    out.views[i].sensor = o.fixed_sensor ? *o.fixed_sensor : o.randomize.sensor ? e : SensorEffects{};
  }
}

std::string stem(const char* prefix, int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s_%04d", prefix, i);
  return buf;
}

namespace {

SynthScene build_object(const SynthOptions& o) {
  SynthScene out;
  Scene& s = out.scene;
  Rng rng(hash_combine(o.seed, 1));
  const int ground = add_material(
      s, texture_or(o, rng, 0.5, fixed_texture(Pattern::Checker, {0.75, 0.72, 0.65}, {0.35, 0.38, 0.42}, 0.5)), 0.02);
  s.primitives.push_back(prim(Shape::Plane, {0, 0, 0}, {1, 1, 1}, ground));
  const int n = rng.integer(4, 7);
  std::vector<std::pair<Vec3, double>> placed;  // footprint centre and radius
  static const Vec3 palette[] = {{0.8, 0.3, 0.2}, {0.2, 0.5, 0.8}, {0.9, 0.8, 0.3}, {0.3, 0.7, 0.4}, {0.7, 0.4, 0.8}};
  for (int k = 0; k < n; ++k) {
    const Shape shape = std::array<Shape, 3>{Shape::Box, Shape::Sphere, Shape::Cylinder}[size_t(rng.integer(0, 2))];
    const double size = rng.uniform(0.2, 0.45), yaw = rng.uniform(0, 2 * M_PI);
    const double stretch_y = rng.uniform(0.6, 1.4), stretch_z = rng.uniform(0.7, 1.6);
    Vec3 c{0, 0, 0};
    for (int attempt = 0; attempt < 100; ++attempt) {
      const double r = 1.3 * std::sqrt(rng.uniform()), a = rng.uniform(0, 2 * M_PI);
      c = {r * std::cos(a), r * std::sin(a), 0};
      bool free = true;
      for (const auto& [pc, pr] : placed) free = free && norm(pc - c) > pr + 1.5 * size;
      if (free) break;
    }
    placed.push_back({c, 1.5 * size});
    const Texture fallback =
        fixed_texture(k % 2 ? Pattern::Stripes : Pattern::ValueNoise, palette[k % 5], 0.5 * palette[(k + 2) % 5], 0.12);
    const Texture tex = texture_or(o, rng, 0.12, fallback);
    const double spec = rng.uniform(0.0, 0.15);
    const int m = add_material(s, tex, o.randomize.textures ? spec : 0.05);
    switch (shape) {
      case Shape::Box: {
        const Vec3 half{size, size * stretch_y, size * stretch_z};
        s.primitives.push_back(prim(Shape::Box, {c[0], c[1], half[2]}, half, m, rotation_z(yaw)));
        break;
      }
      case Shape::Sphere: s.primitives.push_back(prim(Shape::Sphere, {c[0], c[1], size}, {size, size, size}, m)); break;
      default: {
        const double hh = size * stretch_z;
        s.primitives.push_back(prim(Shape::Cylinder, {c[0], c[1], hh}, {0.7 * size, 0.7 * size, hh}, m, rotation_z(yaw)));
      }
    }
  }
  s.center = {0, 0, 0.3};
  s.radius = 1.8;
  s.bounds_min = {-2, -2, 0};
  s.bounds_max = {2, 2, 1.5};
  set_lighting(s, o, rng, false);

  const Camera base = intrinsics(o, rng, 45, 65);
  const double vfov = 2 * std::atan(0.5 * o.height / base.fy);
  // Lowest elevation keeps the horizon out of view (top image edge looks at least 6 degrees down).
  const double e_lo = std::max(vfov / 2 + 6 * kDeg + std::abs(base.cy - 0.5 * o.height) / base.fy, 20 * kDeg);
  const double e_hi = std::max(e_lo + 10 * kDeg, 65 * kDeg);
  const double dist = 4.6, turns = 2.5, phase = rng.uniform(0, 2 * M_PI);
  const auto orbit = [&](double i, double elev, double d) {
    const double a = phase + 2 * M_PI * turns * i / o.views;
    const Vec3 eye = s.center + d * Vec3{std::cos(elev) * std::cos(a), std::cos(elev) * std::sin(a), std::sin(elev)};
    return look_at(base, eye, s.center);
  };
  const auto elevation = [&](double i) { return e_lo + (e_hi - e_lo - 8 * kDeg) * (i + 0.5) / o.views; };
  std::vector<ViewSpec> train, novel;
  for (int i = 0; i < o.views; ++i) train.push_back({stem("frame", i), "train", orbit(i, elevation(i), dist), 0.0, {}, ""});
  const int n_interp = (o.novel + 1) / 2;
  for (int k = 0; k < o.novel; ++k) {
    if (k < n_interp) {
      const double i = (k + 0.5) * o.views / n_interp;  // halfway between two training views
      novel.push_back({stem("novel", k), "interpolated", orbit(std::floor(i) + 0.5, elevation(std::floor(i) + 0.5), dist), 0.0, {}, ""});
    } else {
      // Beyond the path: above the highest training elevation, closer or farther than the orbit.
      const int j = k - n_interp;
      const double i = (j + 0.25) * o.views / std::max(1, o.novel - n_interp);
      const double elev = std::min(e_hi + rng.uniform(0, 10) * kDeg, 85 * kDeg);
      novel.push_back({stem("novel", k), "extrapolated", orbit(i, elev, dist * (j % 2 ? 1.2 : 0.8)), 0.0, {}, ""});
    }
  }
  add_views(out, o, o.seed, train, novel);
  return out;
}

}  // namespace

Vec3 color_temperature_rgb(double kelvin) {
  // Tanner Helland's fit of blackbody colour, normalized to a maximum channel of 1.
  const double t = kelvin / 100.0;
  double r, g, b;
  if (t <= 66) {
    r = 255;
    g = 99.4708025861 * std::log(t) - 161.1195681661;
    b = t <= 19 ? 0 : 138.5177312231 * std::log(t - 10) - 305.0447927307;
  } else {
    r = 329.698727446 * std::pow(t - 60, -0.1332047592);
    g = 288.1221695283 * std::pow(t - 60, -0.0755148492);
    b = 255;
  }
  Vec3 c{std::clamp(r, 0.0, 255.0), std::clamp(g, 0.0, 255.0), std::clamp(b, 0.0, 255.0)};
  const double m = std::max({c[0], c[1], c[2]});
  return (1.0 / m) * c;
}

SynthScene build_synth_scene(const SynthOptions& o) {
  if (o.preset != "object" && o.preset != "street")
    throw InputError("--preset", "unknown preset '" + o.preset + "' (choose object or street)");
  if (o.views < 2 || o.views > 10000) throw InputError("--views", "must be between 2 and 10000");
  if (o.novel < 0 || o.novel > 10000) throw InputError("--novel", "must be between 0 and 10000");
  if (o.width < 8 || o.height < 8 || o.width > 8192 || o.height > 8192)
    throw InputError("--width/--height", "image size must be between 8 and 8192 pixels");
  if (o.cameras < 1 || o.cameras > 6) throw InputError("--cameras", "must be between 1 and 6");
  if (o.cameras > 1 && o.preset != "street") throw InputError("--cameras", "a camera rig needs --preset street");
  if (o.supersample < 1 || o.supersample > 16) throw InputError("--supersample", "must be between 1 and 16");
  if (o.scaffold.points < 0) throw InputError("--points", "must not be negative");
  if (!(o.scaffold.noise >= 0)) throw InputError("--point-noise", "must not be negative");
  if (!(o.scaffold.outliers >= 0 && o.scaffold.outliers <= 1)) throw InputError("--point-outliers", "must lie in [0, 1]");
  if (o.layout != "nerfstudio" && o.layout != "drivestudio")
    throw InputError("--layout", "unknown layout '" + o.layout + "' (choose nerfstudio or drivestudio)");
  if (o.layout == "drivestudio" && o.preset != "street")
    throw InputError("--layout", "drivestudio's layout needs --preset street (cameras on a moving vehicle)");
  if (o.layout == "drivestudio" && !o.edits.empty())
    throw InputError("--edit", "edited views are written with --layout nerfstudio only");
  return o.preset == "object" ? build_object(o) : build_street(o);
}

}  // namespace ttgs::synth
