#pragma once
// Building blocks the presets share (internal to synth/): cameras, lighting, materials, primitives, view lists.
#include <cmath>
#include <string>
#include <vector>

#include "synth/hash.hpp"
#include "synth/presets.hpp"

namespace ttgs::synth {

constexpr double kDeg = M_PI / 180.0;

// An OpenCV camera at `eye` looking at `target`, z up in the world.
Camera look_at(Camera cam, const Vec3& eye, const Vec3& target);
// Image size from the options, field of view drawn in [fov_lo, fov_hi] degrees (middle when not randomized).
Camera intrinsics(const SynthOptions& o, Rng& rng, double fov_lo, double fov_hi);
void set_lighting(Scene& s, const SynthOptions& o, Rng& rng, bool clouds);
int add_material(Scene& s, const Texture& t, double specular, double shininess = 32);
Texture fixed_texture(Pattern p, Vec3 a, Vec3 b, double scale, double detail = 0.05);
// A random texture, or `fallback` when textures are not randomized (the draw happens either way).
Texture texture_or(const SynthOptions& o, Rng& rng, double scale, const Texture& fallback);
Primitive prim(Shape shape, Vec3 center, Vec3 size, int material, Mat3 rotation = identity3(), int actor = -1);
// Training views then novel views, with their sensor effects.
void add_views(SynthScene& out, const SynthOptions& o, uint64_t seed, const std::vector<ViewSpec>& train,
               const std::vector<ViewSpec>& novel);
std::string stem(const char* prefix, int i);  // prefix_0003

SynthScene build_street(const SynthOptions& o);

}  // namespace ttgs::synth
