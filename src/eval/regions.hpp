#pragma once
// Image regions for scoring driving scenes: the pixels inside the actors' projected 3D boxes (dynamic) and the rest
// (static).
#include <ATen/ATen.h>

#include <optional>

#include "io/dataset.hpp"

namespace ttgs::eval {

// A rectangle of pixel coordinates (x right, y down), not clamped to the image.
struct PixelRect {
  double x0 = 0, y0 = 0, x1 = 0, y1 = 0;
};

// The 2D bounding rectangle of a box (half extents `half`, posed by `box_to_world`) as `camera` sees it: its corners
// in front of the camera, plus the box edges' crossings of a 0.1 m near plane. None when it is wholly behind.
std::optional<PixelRect> box_rect(const Camera& camera, const Pose& box_to_world, const Vec3& half);

// (H, W, 1) float: 1 inside the 2D bounding rectangle of any tracked actor's 3D box as `camera` sees it at the frame's
// timestamp (box corners in front of the camera, plus the box edges' crossings of a 0.1 m near plane), 0 elsewhere.
at::Tensor actor_box_mask(const io::Dataset& dataset, size_t frame, const Camera& camera);

}  // namespace ttgs::eval
