#include "core/point_depth.hpp"

#include <algorithm>
#include <limits>

namespace ttgs {

PointDepthBuffer point_depth_buffer(const float* u, const float* v, const float* depth, size_t count, int width,
                                    int height, int cell) {
  PointDepthBuffer b;
  b.cell = std::max(1, cell);
  b.cells_x = (width + b.cell - 1) / b.cell;
  b.cells_y = (height + b.cell - 1) / b.cell;
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> own(size_t(b.cells_x) * size_t(b.cells_y), inf);
  for (size_t k = 0; k < count; ++k) {
    float& d = own[size_t(int(v[k]) / b.cell) * size_t(b.cells_x) + size_t(int(u[k]) / b.cell)];
    d = std::min(d, depth[k]);
  }
  b.nearest.assign(own.size(), inf);
  for (int y = 0; y < b.cells_y; ++y)
    for (int x = 0; x < b.cells_x; ++x) {
      float& o = b.nearest[size_t(y) * size_t(b.cells_x) + size_t(x)];
      for (int ny = std::max(0, y - 1); ny <= std::min(b.cells_y - 1, y + 1); ++ny)
        for (int nx = std::max(0, x - 1); nx <= std::min(b.cells_x - 1, x + 1); ++nx)
          o = std::min(o, own[size_t(ny) * size_t(b.cells_x) + size_t(nx)]);
    }
  return b;
}

}  // namespace ttgs
