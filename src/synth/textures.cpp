#include "synth/textures.hpp"

#include <algorithm>
#include <cmath>

#include "synth/hash.hpp"

namespace ttgs::synth {
namespace {
double lattice(int64_t x, int64_t y, int64_t z, uint64_t seed) {
  return double(hash_combine(hash_combine(hash_combine(seed, uint64_t(x)), uint64_t(y)), uint64_t(z)) >> 11) * 0x1.0p-53;
}
double smooth(double t) { return t * t * (3 - 2 * t); }
double fade(double t) { return t * t * t * (t * (t * 6 - 15) + 10); }

Vec3 lerp(const Vec3& a, const Vec3& b, double t) { return a + t * (b - a); }

Vec3 hsv_to_rgb(double h, double s, double v) {
  const double c = v * s, hp = std::fmod(h, 1.0) * 6, x = c * (1 - std::abs(std::fmod(hp, 2.0) - 1));
  Vec3 rgb = hp < 1 ? Vec3{c, x, 0} : hp < 2 ? Vec3{x, c, 0} : hp < 3 ? Vec3{0, c, x}
           : hp < 4 ? Vec3{0, x, c} : hp < 5 ? Vec3{x, 0, c} : Vec3{c, 0, x};
  const double m = v - c;
  return {rgb[0] + m, rgb[1] + m, rgb[2] + m};
}
}  // namespace

double value_noise(const Vec3& p, uint64_t seed) {
  const double fx = std::floor(p[0]), fy = std::floor(p[1]), fz = std::floor(p[2]);
  const int64_t x = int64_t(fx), y = int64_t(fy), z = int64_t(fz);
  const double tx = smooth(p[0] - fx), ty = smooth(p[1] - fy), tz = smooth(p[2] - fz);
  double v[2][2][2];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 2; ++k) v[i][j][k] = lattice(x + i, y + j, z + k, seed);
  const auto l = [](double a, double b, double t) { return a + (b - a) * t; };
  return l(l(l(v[0][0][0], v[1][0][0], tx), l(v[0][1][0], v[1][1][0], tx), ty),
           l(l(v[0][0][1], v[1][0][1], tx), l(v[0][1][1], v[1][1][1], tx), ty), tz);
}

double gradient_noise(const Vec3& p, uint64_t seed) {
  const double fx = std::floor(p[0]), fy = std::floor(p[1]), fz = std::floor(p[2]);
  const int64_t x = int64_t(fx), y = int64_t(fy), z = int64_t(fz);
  const Vec3 f{p[0] - fx, p[1] - fy, p[2] - fz};
  double v[2][2][2];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j)
      for (int k = 0; k < 2; ++k) {
        const uint64_t h = hash_combine(hash_combine(hash_combine(seed, uint64_t(x + i)), uint64_t(y + j)), uint64_t(z + k));
        // One of 12 cube-edge gradients.
        static const double g[12][3] = {{1, 1, 0}, {-1, 1, 0}, {1, -1, 0}, {-1, -1, 0}, {1, 0, 1}, {-1, 0, 1},
                                        {1, 0, -1}, {-1, 0, -1}, {0, 1, 1}, {0, -1, 1}, {0, 1, -1}, {0, -1, -1}};
        const double* gv = g[h % 12];
        v[i][j][k] = gv[0] * (f[0] - i) + gv[1] * (f[1] - j) + gv[2] * (f[2] - k);
      }
  const double tx = fade(f[0]), ty = fade(f[1]), tz = fade(f[2]);
  const auto l = [](double a, double b, double t) { return a + (b - a) * t; };
  return l(l(l(v[0][0][0], v[1][0][0], tx), l(v[0][1][0], v[1][1][0], tx), ty),
           l(l(v[0][0][1], v[1][0][1], tx), l(v[0][1][1], v[1][1][1], tx), ty), tz);
}

double fbm(const Vec3& p, uint64_t seed, int octaves) {
  double sum = 0, amp = 0.5, norm_sum = 0, f = 1;
  for (int o = 0; o < octaves; ++o) {
    sum += amp * value_noise(f * p, seed + uint64_t(o) * 7919);
    norm_sum += amp;
    amp *= 0.5;
    f *= 2.03;
  }
  return sum / norm_sum;
}

Vec3 evaluate(const Texture& t, const Vec3& p) {
  const Vec3 q = (1.0 / t.scale) * p;
  double mix = 0;
  switch (t.pattern) {
    case Pattern::Solid: mix = 0; break;
    case Pattern::Checker: {
      // A small offset keeps faces that lie exactly on a cell boundary from flickering between colours.
      const int64_t s = int64_t(std::floor(q[0] + 1e-4)) + int64_t(std::floor(q[1] + 1e-4)) + int64_t(std::floor(q[2] + 1e-4));
      mix = (s & 1) ? 1.0 : 0.0;
      break;
    }
    case Pattern::Stripes: mix = 0.5 + 0.5 * std::sin(2 * M_PI * dot(q, t.stripe_axis)) > 0.5 ? 1.0 : 0.0; break;
    case Pattern::ValueNoise: mix = fbm(q, t.seed, 4); break;
    case Pattern::GradientNoise: mix = std::clamp(0.5 + 0.7 * gradient_noise(q, t.seed), 0.0, 1.0); break;
  }
  Vec3 c = lerp(t.color_a, t.color_b, mix);
  if (t.detail > 0) {
    const double d = (value_noise((1.0 / t.detail_scale) * p, t.seed ^ 0xD37A11ull) - 0.5) * 2 * t.detail;
    c = c + Vec3{d, d, d};
  }
  for (double& v : c) v = std::clamp(v, 0.0, 1.0);
  return c;
}

Texture random_texture(Rng& rng, double base_scale) {
  Texture t;
  t.pattern = Pattern(rng.integer(0, 4));
  const double h = rng.uniform();
  t.color_a = hsv_to_rgb(h, rng.uniform(0.2, 0.9), rng.uniform(0.4, 0.95));
  t.color_b = hsv_to_rgb(std::fmod(h + rng.uniform(0.1, 0.5), 1.0), rng.uniform(0.2, 0.9), rng.uniform(0.15, 0.7));
  t.scale = base_scale * rng.uniform(0.5, 2.0);
  const double a = rng.uniform(0, M_PI);
  t.stripe_axis = {std::cos(a), std::sin(a), rng.uniform(-0.3, 0.3)};
  t.detail = rng.uniform(0.03, 0.12);
  t.detail_scale = base_scale * rng.uniform(0.03, 0.08);
  t.seed = rng.next_u64();
  return t;
}

}  // namespace ttgs::synth
