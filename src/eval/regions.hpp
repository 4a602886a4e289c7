#pragma once
// Image regions for scoring driving scenes: the pixels inside the actors' projected 3D boxes (dynamic) and the rest
// (static).
#include <ATen/ATen.h>

#include "io/dataset.hpp"

namespace ttgs::eval {

// (H, W, 1) float: 1 inside the 2D bounding rectangle of any tracked actor's 3D box as `camera` sees it at the frame's
// timestamp (box corners in front of the camera, plus the box edges' crossings of a 0.1 m near plane), 0 elsewhere.
at::Tensor actor_box_mask(const io::Dataset& dataset, size_t frame, const Camera& camera);

}  // namespace ttgs::eval
