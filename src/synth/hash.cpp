#include "synth/hash.hpp"

#include <cmath>

namespace ttgs::synth {

uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 27;
  x *= 0x94D049BB133111EBull;
  x ^= x >> 31;
  return x;
}

uint64_t hash_combine(uint64_t a, uint64_t b) { return mix64(a ^ (mix64(b) + 0x9E3779B97F4A7C15ull + (a << 6) + (a >> 2))); }

double hash_uniform(uint64_t seed, uint64_t stream, uint64_t index) {
  return double(hash_combine(hash_combine(seed, stream), index) >> 11) * 0x1.0p-53;
}

double hash_normal(uint64_t seed, uint64_t stream, uint64_t index) {
  const double u1 = std::max(1e-300, hash_uniform(seed, stream, 2 * index));
  const double u2 = hash_uniform(seed, stream, 2 * index + 1);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

double Rng::normal() {
  const double u1 = std::max(1e-300, uniform()), u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

}  // namespace ttgs::synth
