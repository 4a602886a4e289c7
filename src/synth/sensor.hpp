#pragma once
// Per-image sensor effects applied after rendering, in this order: exposure, white balance, blur, noise, 8-bit
// quantization, JPEG compression (encoded and decoded in memory, so the written PNG carries its artefacts).
#include <cstdint>

#include "core/image.hpp"
#include "core/math.hpp"

namespace ttgs::synth {

struct SensorEffects {
  double exposure = 1.0;
  Vec3 white_balance{1, 1, 1};
  double blur_sigma = 0.0;   // pixels
  double noise_sigma = 0.0;  // in [0, 1] intensity units
  int jpeg_quality = 0;      // 0 = no JPEG
};

class Rng;
SensorEffects random_sensor_effects(Rng& rng);
// Deterministic: noise is a function of (seed, view, pixel).
Image apply_sensor_effects(const Image& rgb, const SensorEffects& effects, uint64_t seed, uint64_t view);

}  // namespace ttgs::synth
