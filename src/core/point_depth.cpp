#include "core/point_depth.hpp"

#include <algorithm>
#include <limits>

namespace ttgs {
namespace {

// The depth a cell's points are hidden behind: its own nearest point, or nearer where two opposite neighbours (left
// and right, above and below, or either diagonal pair) both hold nearer points - a gap in a nearer surface. A
// surface slanted away from the camera (a road) has a nearer neighbour on one side only and hides nothing.
float closed_depth(const std::vector<float>& own, int cells_x, int cells_y, int x, int y) {
  const float inf = std::numeric_limits<float>::infinity();
  auto at = [&](int cx, int cy) {
    return cx < 0 || cy < 0 || cx >= cells_x || cy >= cells_y ? inf : own[size_t(cy) * size_t(cells_x) + size_t(cx)];
  };
  float front = at(x, y);
  static constexpr int kPairs[4][2] = {{1, 0}, {0, 1}, {1, 1}, {1, -1}};
  for (const auto& d : kPairs) front = std::min(front, std::max(at(x - d[0], y - d[1]), at(x + d[0], y + d[1])));
  return front;
}

}  // namespace

PointDepthBuffer point_depth_buffer(const float* u, const float* v, const float* depth, size_t count, int width,
                                    int height, int cell) {
  PointDepthBuffer b;
  b.cell = std::max(1, cell);
  b.cells_x = (width + b.cell - 1) / b.cell;
  b.cells_y = (height + b.cell - 1) / b.cell;
  std::vector<float> own(size_t(b.cells_x) * size_t(b.cells_y), std::numeric_limits<float>::infinity());
  for (size_t k = 0; k < count; ++k) {
    float& d = own[size_t(int(v[k]) / b.cell) * size_t(b.cells_x) + size_t(int(u[k]) / b.cell)];
    d = std::min(d, depth[k]);
  }
  b.nearest.resize(own.size());
  for (int y = 0; y < b.cells_y; ++y)
    for (int x = 0; x < b.cells_x; ++x)
      b.nearest[size_t(y) * size_t(b.cells_x) + size_t(x)] = closed_depth(own, b.cells_x, b.cells_y, x, y);
  return b;
}

}  // namespace ttgs
