#pragma once
// Which projected points a photo actually shows: a coarse depth buffer of the points themselves. Each cell of
// `cell` x `cell` pixels keeps its nearest point's depth, then the minimum over its 3x3 neighbourhood (closing
// one-cell holes between sparse points, so that a farther surface does not show through them). A point is visible
// where it is not behind that depth by more than 3% + 0.1 scene units. Used to colour points from photos
// (model/point_colours) and to register cameras on them (refine/point_registration).
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

// `u`, `v`, `depth`: `count` points projected into a width x height image (every (u, v) inside it).
PointDepthBuffer point_depth_buffer(const float* u, const float* v, const float* depth, size_t count, int width,
                                    int height, int cell);

}  // namespace ttgs
