#include "core/image.hpp"

#include <algorithm>

#include "core/parallel.hpp"

namespace ttgs {

Image downscale_area(const Image& img, int factor) {
  if (factor <= 1) return img;
  Image out(img.width / factor, img.height / factor, img.channels);
  const float inv = 1.f / float(factor * factor);
  parallel_for(0, out.height, [&](int64_t y0, int64_t y1) {
    for (int64_t y = y0; y < y1; ++y)
      for (int x = 0; x < out.width; ++x)
        for (int c = 0; c < img.channels; ++c) {
          float sum = 0;
          for (int dy = 0; dy < factor; ++dy)
            for (int dx = 0; dx < factor; ++dx) sum += img.at(x * factor + dx, int(y) * factor + dy, c);
          out.at(x, int(y), c) = sum * inv;
        }
  }, 8);
  return out;
}

Image downscale_nearest(const Image& img, int factor) {
  if (factor <= 1) return img;
  Image out(img.width / factor, img.height / factor, img.channels);
  const int off = factor / 2;  // the sample at (or just right/below) the block centre
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x)
      for (int c = 0; c < img.channels; ++c) out.at(x, y, c) = img.at(x * factor + off, y * factor + off, c);
  return out;
}

Image downscale_min(const Image& img, int factor) {
  if (factor <= 1) return img;
  Image out(img.width / factor, img.height / factor, img.channels);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x)
      for (int c = 0; c < img.channels; ++c) {
        float m = img.at(x * factor, y * factor, c);
        for (int dy = 0; dy < factor; ++dy)
          for (int dx = 0; dx < factor; ++dx) m = std::min(m, img.at(x * factor + dx, y * factor + dy, c));
        out.at(x, y, c) = m;
      }
  return out;
}

}  // namespace ttgs
