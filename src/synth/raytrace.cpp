#include "synth/raytrace.hpp"

#include <algorithm>
#include <cmath>

#include "core/parallel.hpp"

namespace ttgs::synth {
namespace {
constexpr double kEps = 1e-6;

Vec3 mul(const Vec3& a, const Vec3& b) { return {a[0] * b[0], a[1] * b[1], a[2] * b[2]}; }
Vec3 normalized(const Vec3& v) { return (1.0 / norm(v)) * v; }

Vec3 sky_color(const Sky& sky, const Vec3& dir) {
  const double up = std::clamp(dir[2], -1.0, 1.0);
  const double t = std::sqrt(std::max(0.0, up));
  Vec3 c = sky.horizon + t * (sky.zenith - sky.horizon);
  if (up < 0) c = (0.8 + 0.2 * (1 + up)) * sky.horizon;
  if (sky.cloud_cover > 0 && up > 0.02) {
    // Clouds on a plane above the camera: noise of the ray's intersection with it.
    const double h = 1.0 / up;
    const Vec3 p{dir[0] * h / sky.cloud_scale, dir[1] * h / sky.cloud_scale, 0.0};
    const double n = fbm(p, sky.seed, 5);
    const double cover = std::clamp((n - (1.0 - sky.cloud_cover)) * 4.0, 0.0, 1.0) * std::min(1.0, up * 8);
    c = c + cover * (Vec3{0.97, 0.97, 0.97} - c);
  }
  return c;
}

double to_display(double linear) { return std::pow(std::clamp(linear, 0.0, 1.0), 1.0 / 2.2); }
}  // namespace

std::vector<Primitive> place_at(const Scene& scene, double time) {
  std::vector<Primitive> placed = scene.primitives;
  for (Primitive& p : placed) {
    if (p.actor < 0) continue;
    const Pose pose = scene.actors[size_t(p.actor)].pose_at(time);
    p.center = pose.rotation * p.center + pose.translation;
    p.rotation = pose.rotation * p.rotation;
  }
  return placed;
}

// Radius of a sphere around the primitive's centre that contains it (infinite for planes).
double bounding_radius(const Primitive& p) {
  switch (p.shape) {
    case Shape::Plane: return 1e300;
    case Shape::Sphere: return p.size[0];
    case Shape::Box: return norm(p.size);
    case Shape::Cylinder: return std::hypot(p.size[0], p.size[2]);
  }
  return 1e300;
}

std::optional<SurfaceHit> closest_hit(const std::vector<Primitive>& placed, const Ray& ray) {
  std::optional<SurfaceHit> best;
  double t_max = 1e300;
  for (size_t i = 0; i < placed.size(); ++i) {
    const Primitive& p = placed[i];
    if (p.shape != Shape::Plane) {  // cheap rejection by the bounding sphere
      const double r = bounding_radius(p);
      const Vec3 oc = p.center - ray.origin;
      const double tca = dot(oc, ray.dir), d2 = dot(oc, oc) - tca * tca;
      if (d2 > r * r || tca + r < kEps || tca - r > t_max) continue;
    }
    const auto h = intersect(placed[i], ray, kEps, t_max);
    if (h) {
      t_max = h->t;
      best = SurfaceHit{*h, int(i)};
    }
  }
  return best;
}

Vec3 trace(const Scene& scene, const std::vector<Primitive>& placed, const Ray& ray, const RenderOptions& opt,
           std::optional<SurfaceHit>* hit_out) {
  const auto sh = closest_hit(placed, ray);
  if (hit_out) *hit_out = sh;
  if (!sh) {
    const Vec3 s = sky_color(scene.sky, ray.dir);
    return {to_display(s[0]), to_display(s[1]), to_display(s[2])};
  }
  const Primitive& prim = placed[size_t(sh->primitive)];
  const Material& mat = scene.materials[size_t(prim.material)];
  const Vec3 albedo = evaluate(mat.texture, sh->hit.local);
  const Vec3 p = ray.origin + sh->hit.t * ray.dir;
  const Vec3& n = sh->hit.normal;
  const Light& L = scene.light;
  double lit = std::max(0.0, dot(n, L.direction));
  if (lit > 0 && opt.shadows && closest_hit(placed, {p + 1e-5 * n, L.direction})) lit = 0;
  Vec3 c = mul(albedo, L.ambient + (lit * L.intensity) * L.color);
  if (lit > 0 && mat.specular > 0) {
    const Vec3 h = normalized(L.direction - ray.dir);
    c = c + (mat.specular * L.intensity * std::pow(std::max(0.0, dot(n, h)), mat.shininess)) * L.color;
  }
  return {to_display(c[0]), to_display(c[1]), to_display(c[2])};
}

Ray pixel_ray(const Camera& cam, double u, double v) {
  const Vec3 d_cam = normalized({(u - cam.cx) / cam.fx, (v - cam.cy) / cam.fy, 1.0});
  return {cam.center(), transpose(cam.R) * d_cam};
}

RenderOutput render(const Scene& scene, const Camera& cam, double time, const RenderOptions& opt) {
  const std::vector<Primitive> placed = place_at(scene, time);
  const int S = std::max(1, opt.supersample);
  RenderOutput out;
  out.color = Image(cam.width, cam.height, 3);
  out.depth = Image(cam.width, cam.height, 1);
  out.primitive.assign(size_t(cam.width) * cam.height, -1);
  out.label.assign(size_t(cam.width) * cam.height, kLabelSky);
  parallel_for(0, cam.height, [&](int64_t y0, int64_t y1) {
    for (int64_t y = y0; y < y1; ++y)
      for (int x = 0; x < cam.width; ++x) {
        const size_t i = size_t(y) * cam.width + x;
        // Ground truth from the pixel centre.
        const Ray centre = pixel_ray(cam, x + 0.5, y + 0.5);
        const auto hit = closest_hit(placed, centre);
        if (hit) {
          const Vec3 d_cam = cam.R * centre.dir;
          out.depth.data[i] = float(hit->hit.t * d_cam[2]);
          out.primitive[i] = hit->primitive;
          const int actor = placed[size_t(hit->primitive)].actor;
          out.label[i] = actor < 0 ? kLabelStatic : uint8_t(kLabelActorBase + actor);
        }
        Vec3 sum{0, 0, 0};
        for (int sy = 0; sy < S; ++sy)
          for (int sx = 0; sx < S; ++sx)
            sum = sum + trace(scene, placed, pixel_ray(cam, x + (sx + 0.5) / S, double(y) + (sy + 0.5) / S), opt);
        for (int c = 0; c < 3; ++c) out.color.data[i * 3 + c] = float(sum[c] / (S * S));
      }
  }, 1);
  return out;
}

}  // namespace ttgs::synth
