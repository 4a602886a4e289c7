#pragma once
// The independent renderer: Whitted-style ray casting of the analytic primitives with Lambertian + Blinn-Phong
// shading, a directional light with hard shadows, ambient light, and a procedural sky; anti-aliased by S x S
// stratified supersampling. Depth, labels and primitive ids come from each pixel centre's ray (exact ground truth).
#include <cstdint>
#include <optional>
#include <vector>

#include "core/camera.hpp"
#include "core/image.hpp"
#include "synth/scene.hpp"

namespace ttgs::synth {

// Per-pixel labels written to labels/*.png.
constexpr uint8_t kLabelStatic = 0, kLabelSky = 1, kLabelActorBase = 2;  // actor k has label 2 + k

struct RenderOptions {
  int supersample = 2;  // S: S x S samples per pixel
  bool shadows = true;
};

struct RenderOutput {
  Image color;                 // RGB in [0, 1], gamma 2.2 encoded
  Image depth;                 // z-depth along the camera's optical axis; 0 where the ray hits the sky
  std::vector<int32_t> primitive;  // index into Scene::primitives per pixel; -1 for sky
  std::vector<uint8_t> label;      // kLabel*
};

// The scene's primitives placed at a time (actors moved by their poses).
std::vector<Primitive> place_at(const Scene& scene, double time);

struct SurfaceHit {
  Hit hit;
  int primitive = -1;
};
std::optional<SurfaceHit> closest_hit(const std::vector<Primitive>& placed, const Ray& ray);
// Radiance along a ray (gamma-encoded RGB in [0, 1]); also reports what the ray hit.
Vec3 trace(const Scene& scene, const std::vector<Primitive>& placed, const Ray& ray, const RenderOptions& options,
           std::optional<SurfaceHit>* hit_out = nullptr);
Ray pixel_ray(const Camera& camera, double u, double v);  // through continuous pixel position (u, v)

RenderOutput render(const Scene& scene, const Camera& camera, double time, const RenderOptions& options);

}  // namespace ttgs::synth
