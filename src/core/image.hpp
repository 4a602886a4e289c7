#pragma once
// Images, row-major, interleaved channels: data[(y * width + x) * channels + c].
// `Image` holds floats: colour in [0, 1], masks with one channel (1 = use the pixel, 0 = ignore it), depth maps with
// one channel in metres (0 = unknown). `Image8` holds the same colour and mask values as 8-bit (value * 255), a
// quarter of the memory: how a dataset keeps its photos and masks.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ttgs {

template <class T>
struct BasicImage {
  int width = 0, height = 0, channels = 0;
  std::vector<T> data;

  BasicImage() = default;
  BasicImage(int w, int h, int c, T fill = T(0)) : width(w), height(h), channels(c), data(size_t(w) * h * c, fill) {}
  bool empty() const { return data.empty(); }
  size_t index(int x, int y, int c = 0) const { return (size_t(y) * width + x) * channels + c; }
  T& at(int x, int y, int c = 0) { return data[index(x, y, c)]; }
  T at(int x, int y, int c = 0) const { return data[index(x, y, c)]; }
};

using Image = BasicImage<float>;
using Image8 = BasicImage<uint8_t>;

// Values in [0, 1] rounded to the nearest of 256 levels (clamped), and back.
Image8 to_8bit(const Image& img);
Image to_float(const Image8& img);

// Box filter over factor x factor blocks (for colour images); the remainder rows/columns are dropped.
// The 8-bit version rounds each block's mean.
Image downscale_area(const Image& img, int factor);
Image8 downscale_area(const Image8& img, int factor);
// The sample nearest to each block's centre (for masks and depth, which must not be blended).
Image downscale_nearest(const Image& img, int factor);
// Minimum over factor x factor blocks, for 0/1 masks (0 = ignore): values are never blended, and an output pixel
// is ignored when any of its source pixels is, so a thin excluded structure never vanishes when downscaled.
Image downscale_min(const Image& img, int factor);
Image8 downscale_min(const Image8& img, int factor);

}  // namespace ttgs
