#pragma once
// Removing lens distortion on load. The undistorted image keeps the full frame: the same width, height and
// pinhole intrinsics (fx, fy, cx, cy) as the distorted camera; output pixels whose source falls outside the
// distorted image are set to 0 and marked invalid (mask 0), so nothing downstream trains on them.
#include <array>
#include <vector>

#include "core/camera.hpp"
#include "core/distortion.hpp"
#include "core/image.hpp"

namespace ttgs::io {

// Pinhole pixel (u, v) -> pixel in the distorted image, both in continuous coordinates (pixel centres at i + 0.5).
std::array<double, 2> distort_pixel(const Camera& cam, const Distortion& d, double u, double v);
// Distorted pixel -> pinhole pixel (the inverse, by Newton iterations).
std::array<double, 2> undistort_pixel(const Camera& cam, const Distortion& d, double u, double v);

struct UndistortMap {
  int width = 0, height = 0;
  std::vector<float> src_x, src_y;  // for each output pixel, where its centre lies in the distorted image
  std::vector<uint8_t> valid;       // 1 where that source lies inside the distorted image
};
UndistortMap make_undistort_map(const Camera& cam, const Distortion& d);

Image remap_bilinear(const Image& src, const UndistortMap& map);  // colour images
Image remap_nearest(const Image& src, const UndistortMap& map);   // masks and depth: values never blended
Image valid_mask(const UndistortMap& map);                         // 1 = valid, 0 = outside the source

}  // namespace ttgs::io
