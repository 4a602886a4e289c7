#include "synth/sensor.hpp"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "synth/hash.hpp"

namespace ttgs::synth {
namespace {
void gaussian_blur(Image& img, double sigma) {
  const int r = int(std::ceil(3 * sigma));
  std::vector<double> k(size_t(2 * r + 1));
  double sum = 0;
  for (int i = -r; i <= r; ++i) sum += k[size_t(i + r)] = std::exp(-0.5 * i * i / (sigma * sigma));
  for (double& v : k) v /= sum;
  Image tmp = img;
  for (int pass = 0; pass < 2; ++pass) {
    const Image& src = pass == 0 ? img : tmp;
    Image& dst = pass == 0 ? tmp : img;
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x)
        for (int c = 0; c < img.channels; ++c) {
          double acc = 0;
          for (int i = -r; i <= r; ++i) {
            const int xx = pass == 0 ? std::clamp(x + i, 0, img.width - 1) : x;
            const int yy = pass == 1 ? std::clamp(y + i, 0, img.height - 1) : y;
            acc += k[size_t(i + r)] * src.at(xx, yy, c);
          }
          dst.at(x, y, c) = float(acc);
        }
  }
}

void append_bytes(void* ctx, void* data, int size) {
  static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), size_t(size));
}
}  // namespace

SensorEffects random_sensor_effects(Rng& rng) {
  SensorEffects e;
  e.exposure = rng.uniform(0.8, 1.2);
  for (double& g : e.white_balance) g = rng.uniform(0.9, 1.1);
  e.blur_sigma = rng.uniform(0.0, 0.8);
  e.noise_sigma = rng.uniform(0.0, 0.02);
  e.jpeg_quality = rng.uniform() < 0.5 ? rng.integer(70, 95) : 0;
  return e;
}

Image apply_sensor_effects(const Image& rgb, const SensorEffects& e, uint64_t seed, uint64_t view) {
  Image out = rgb;
  for (size_t p = 0; p < out.data.size(); ++p) out.data[p] = float(out.data[p] * e.exposure * e.white_balance[p % 3]);
  if (e.blur_sigma > 0.05) gaussian_blur(out, e.blur_sigma);
  if (e.noise_sigma > 0)
    for (size_t p = 0; p < out.data.size(); ++p) out.data[p] += float(e.noise_sigma * hash_normal(seed, 1000 + view, p));
  std::vector<unsigned char> bytes(out.data.size());
  for (size_t p = 0; p < out.data.size(); ++p)
    bytes[p] = (unsigned char)std::lround(std::clamp(out.data[p], 0.f, 1.f) * 255.f);
  if (e.jpeg_quality > 0) {
    std::string jpg;
    if (!stbi_write_jpg_to_func(append_bytes, &jpg, out.width, out.height, 3, bytes.data(), e.jpeg_quality))
      throw std::runtime_error("JPEG encoding failed");
    int w, h, n;
    std::unique_ptr<stbi_uc, void (*)(void*)> dec(
        stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(jpg.data()), int(jpg.size()), &w, &h, &n, 3), stbi_image_free);
    if (!dec) throw std::runtime_error("JPEG decoding failed");
    std::copy(dec.get(), dec.get() + bytes.size(), bytes.begin());
  }
  for (size_t p = 0; p < out.data.size(); ++p) out.data[p] = bytes[p] / 255.f;
  return out;
}

}  // namespace ttgs::synth
