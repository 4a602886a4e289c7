#pragma once
// A float image, row-major, interleaved channels: data[(y * width + x) * channels + c].
// Colour images are RGB in [0, 1]; masks have one channel (1 = use the pixel, 0 = ignore it);
// depth maps have one channel in metres (0 = unknown).
#include <cstddef>
#include <vector>

namespace ttgs {

struct Image {
  int width = 0, height = 0, channels = 0;
  std::vector<float> data;

  Image() = default;
  Image(int w, int h, int c, float fill = 0.f) : width(w), height(h), channels(c), data(size_t(w) * h * c, fill) {}
  bool empty() const { return data.empty(); }
  size_t index(int x, int y, int c = 0) const { return (size_t(y) * width + x) * channels + c; }
  float& at(int x, int y, int c = 0) { return data[index(x, y, c)]; }
  float at(int x, int y, int c = 0) const { return data[index(x, y, c)]; }
};

// Box filter over factor x factor blocks (for colour images); the remainder rows/columns are dropped.
Image downscale_area(const Image& img, int factor);
// The sample nearest to each block's centre (for masks and depth, which must not be blended).
Image downscale_nearest(const Image& img, int factor);
// Minimum over factor x factor blocks, for 0/1 masks (0 = ignore): values are never blended, and an output pixel
// is ignored when any of its source pixels is, so a thin excluded structure never vanishes when downscaled.
Image downscale_min(const Image& img, int factor);

}  // namespace ttgs
