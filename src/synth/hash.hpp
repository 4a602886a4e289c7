#pragma once
// Counter-based randomness: every random number is a pure function of (seed, stream, index), so results never
// depend on thread count or evaluation order.
#include <cstdint>

namespace ttgs::synth {

uint64_t mix64(uint64_t x);                                 // SplitMix64 finalizer
uint64_t hash_combine(uint64_t a, uint64_t b);
double hash_uniform(uint64_t seed, uint64_t stream, uint64_t index);  // [0, 1)
double hash_normal(uint64_t seed, uint64_t stream, uint64_t index);   // standard normal (Box-Muller)

// A small sequential generator for scene construction (seeded, portable: no std:: distributions).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(mix64(seed + 0x9E3779B97F4A7C15ull)) {}
  uint64_t next_u64() { return mix64(state_ += 0x9E3779B97F4A7C15ull); }
  double uniform() { return double(next_u64() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  int integer(int lo, int hi_inclusive) { return lo + int(next_u64() % uint64_t(hi_inclusive - lo + 1)); }
  double normal();

 private:
  uint64_t state_;
};

}  // namespace ttgs::synth
