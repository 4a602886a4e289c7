#pragma once
// Procedural solid textures, evaluated at a point in the owning primitive's local frame (so they move with it).
#include <cstdint>

#include "core/math.hpp"

namespace ttgs::synth {

enum class Pattern { Solid, Checker, Stripes, ValueNoise, GradientNoise };

struct Texture {
  Pattern pattern = Pattern::Solid;
  Vec3 color_a{0.6, 0.6, 0.6}, color_b{0.3, 0.3, 0.3};
  double scale = 1.0;         // feature size in world units
  Vec3 stripe_axis{1, 0, 0};  // for Stripes
  double detail = 0.0;        // amplitude of fine high-frequency noise added to every pattern
  double detail_scale = 0.05; // its feature size
  uint64_t seed = 0;
};

struct Material {
  Texture texture;
  double specular = 0.05;  // Blinn-Phong weight
  double shininess = 32;
};

double value_noise(const Vec3& p, uint64_t seed);     // smooth lattice noise in [0, 1]
double gradient_noise(const Vec3& p, uint64_t seed);  // Perlin-style noise, roughly [-1, 1]
double fbm(const Vec3& p, uint64_t seed, int octaves);  // value-noise fractal sum in [0, 1]
Vec3 evaluate(const Texture& tex, const Vec3& local_point);  // albedo in [0, 1]

// A random texture with a random palette (used by domain randomization).
class Rng;
Texture random_texture(Rng& rng, double base_scale);

}  // namespace ttgs::synth
