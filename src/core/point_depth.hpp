#pragma once
// Which projected points a photo actually shows: a coarse depth buffer of the points themselves. Each cell of
// `cell` x `cell` pixels keeps its nearest point's depth, or a nearer one where two opposite neighbouring cells
// (left and right, above and below, or a diagonal pair) both hold nearer points: a gap between a nearer surface's
// sparse points, which a farther surface must not show through. A surface slanting away (a road) has nearer cells on
// one side only and hides nothing of itself beyond its own cells. A point is visible where it is not behind that
// depth by more than 3% + 0.1 scene units. Used to colour points from photos (model/point_colours) and to register
// cameras on them (refine/point_registration).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace ttgs {

struct PointDepthBuffer {
  int cells_x = 0, cells_y = 0, cell = 1;
  std::vector<float> nearest;  // per cell, +inf where no point falls

  // (u, v): pixel coordinates inside the image the buffer was built for.
  bool visible(float u, float v, float depth) const {
    const float front = nearest[size_t(int(v) / cell) * size_t(cells_x) + size_t(int(u) / cell)];
    return depth <= front * 1.03f + 0.1f;
  }
};

// The cell size both users take for a width x height photo: about 80 cells across its smaller side.
inline int point_depth_cell(int width, int height) {
  return std::max(1, int(std::lround(std::min(width, height) / 80.0)));
}

// `u`, `v`, `depth`: `count` points projected into a width x height image (every (u, v) inside it).
PointDepthBuffer point_depth_buffer(const float* u, const float* v, const float* depth, size_t count, int width,
                                    int height, int cell);

}  // namespace ttgs
