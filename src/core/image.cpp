#include "core/image.hpp"

#include <algorithm>
#include <cmath>

#include "core/parallel.hpp"

namespace ttgs {

Image8 to_8bit(const Image& img) {
  Image8 out(img.width, img.height, img.channels);
  for (size_t i = 0; i < img.data.size(); ++i)
    out.data[i] = uint8_t(std::lround(std::clamp(img.data[i], 0.f, 1.f) * 255.f));
  return out;
}

Image to_float(const Image8& img) {
  Image out(img.width, img.height, img.channels);
  for (size_t i = 0; i < img.data.size(); ++i) out.data[i] = float(img.data[i]) * (1.f / 255.f);
  return out;
}

namespace {

template <class T, class Finish>
BasicImage<T> downscale_area_impl(const BasicImage<T>& img, int factor, Finish finish) {
  if (factor <= 1) return img;
  BasicImage<T> out(img.width / factor, img.height / factor, img.channels);
  const float inv = 1.f / float(factor * factor);
  parallel_for(0, out.height, [&](int64_t y0, int64_t y1) {
    for (int64_t y = y0; y < y1; ++y)
      for (int x = 0; x < out.width; ++x)
        for (int c = 0; c < img.channels; ++c) {
          float sum = 0;
          for (int dy = 0; dy < factor; ++dy)
            for (int dx = 0; dx < factor; ++dx) sum += float(img.at(x * factor + dx, int(y) * factor + dy, c));
          out.at(x, int(y), c) = finish(sum * inv);
        }
  }, 8);
  return out;
}

template <class T>
BasicImage<T> downscale_min_impl(const BasicImage<T>& img, int factor) {
  if (factor <= 1) return img;
  BasicImage<T> out(img.width / factor, img.height / factor, img.channels);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x)
      for (int c = 0; c < img.channels; ++c) {
        T m = img.at(x * factor, y * factor, c);
        for (int dy = 0; dy < factor; ++dy)
          for (int dx = 0; dx < factor; ++dx) m = std::min(m, img.at(x * factor + dx, y * factor + dy, c));
        out.at(x, y, c) = m;
      }
  return out;
}

}  // namespace

Image downscale_area(const Image& img, int factor) {
  return downscale_area_impl(img, factor, [](float v) { return v; });
}

Image8 downscale_area(const Image8& img, int factor) {
  return downscale_area_impl(img, factor, [](float v) { return uint8_t(std::lround(std::min(v, 255.f))); });
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

Image downscale_min(const Image& img, int factor) { return downscale_min_impl(img, factor); }
Image8 downscale_min(const Image8& img, int factor) { return downscale_min_impl(img, factor); }

}  // namespace ttgs
