#include "io/undistort.hpp"

#include <cmath>

#include "core/parallel.hpp"

namespace ttgs::io {

std::array<double, 2> distort_pixel(const Camera& cam, const Distortion& d, double u, double v) {
  const auto p = d.distort((u - cam.cx) / cam.fx, (v - cam.cy) / cam.fy);
  return {p[0] * cam.fx + cam.cx, p[1] * cam.fy + cam.cy};
}

std::array<double, 2> undistort_pixel(const Camera& cam, const Distortion& d, double u, double v) {
  const auto p = d.undistort((u - cam.cx) / cam.fx, (v - cam.cy) / cam.fy);
  return {p[0] * cam.fx + cam.cx, p[1] * cam.fy + cam.cy};
}

UndistortMap make_undistort_map(const Camera& cam, const Distortion& d) {
  UndistortMap m;
  m.width = cam.width;
  m.height = cam.height;
  const size_t n = size_t(cam.width) * cam.height;
  m.src_x.resize(n);
  m.src_y.resize(n);
  m.valid.resize(n);
  parallel_for(0, cam.height, [&](int64_t y0, int64_t y1) {
    for (int64_t y = y0; y < y1; ++y)
      for (int x = 0; x < cam.width; ++x) {
        const auto s = distort_pixel(cam, d, x + 0.5, y + 0.5);
        const size_t i = size_t(y) * cam.width + x;
        m.src_x[i] = float(s[0]);
        m.src_y[i] = float(s[1]);
        m.valid[i] = s[0] >= 0 && s[1] >= 0 && s[0] <= cam.width && s[1] <= cam.height;
      }
  }, 16);
  return m;
}

Image remap_bilinear(const Image& src, const UndistortMap& m) {
  Image out(m.width, m.height, src.channels);
  parallel_for(0, m.height, [&](int64_t y0, int64_t y1) {
    for (int64_t y = y0; y < y1; ++y)
      for (int x = 0; x < m.width; ++x) {
        const size_t i = size_t(y) * m.width + x;
        if (!m.valid[i]) continue;
        // Sample positions in index space (centre of pixel j is j + 0.5), clamped at the border.
        const float sx = std::fmin(std::fmax(m.src_x[i] - 0.5f, 0.f), float(src.width - 1));
        const float sy = std::fmin(std::fmax(m.src_y[i] - 0.5f, 0.f), float(src.height - 1));
        const int x0 = int(sx), y0i = int(sy);
        const int x1 = std::min(x0 + 1, src.width - 1), y1i = std::min(y0i + 1, src.height - 1);
        const float fx = sx - x0, fy = sy - y0i;
        for (int c = 0; c < src.channels; ++c) {
          const float a = src.at(x0, y0i, c) * (1 - fx) + src.at(x1, y0i, c) * fx;
          const float b = src.at(x0, y1i, c) * (1 - fx) + src.at(x1, y1i, c) * fx;
          out.at(x, int(y), c) = a * (1 - fy) + b * fy;
        }
      }
  }, 16);
  return out;
}

Image remap_nearest(const Image& src, const UndistortMap& m) {
  Image out(m.width, m.height, src.channels);
  for (int y = 0; y < m.height; ++y)
    for (int x = 0; x < m.width; ++x) {
      const size_t i = size_t(y) * m.width + x;
      if (!m.valid[i]) continue;
      const int sx = std::min(src.width - 1, std::max(0, int(std::floor(m.src_x[i]))));
      const int sy = std::min(src.height - 1, std::max(0, int(std::floor(m.src_y[i]))));
      for (int c = 0; c < src.channels; ++c) out.at(x, y, c) = src.at(sx, sy, c);
    }
  return out;
}

Image valid_mask(const UndistortMap& m) {
  Image out(m.width, m.height, 1);
  for (size_t i = 0; i < m.valid.size(); ++i) out.data[i] = m.valid[i];
  return out;
}

}  // namespace ttgs::io
