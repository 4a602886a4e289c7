#pragma once
// Per-frame camera corrections for test-time refinement. A correction is 6 numbers (w, v): an axis-angle rotation
// w (radians) and a translation v, applied as a LEFT perturbation of the world-to-camera matrix about a pivot p on
// the optical axis at depth d (p = (0, 0, d) in camera coordinates):
//     viewmat' = [Exp(w)  (I - Exp(w)) p + v; 0 1] · viewmat,
// i.e. in the camera's own frame w turns the camera about the pivot and v shifts it along its own axes (x right,
// y down, z forward). With d = 0 the rotation is about the camera centre; with d at the scene's depth a rotation
// barely moves the image centre, so rotation and translation are far less coupled (a rounder loss valley for the
// optimizer). Zero is the identity, so corrections start at zero.
#include <ATen/ATen.h>

#include "core/camera.hpp"

namespace ttgs::refine {

// Rodrigues' formula, differentiable everywhere (a Taylor series near zero): (..., 3) -> (..., 3, 3).
at::Tensor so3_exp(const at::Tensor& w);
// (6) -> (4, 4) rigid transform [Exp(w) (I - Exp(w)) p + v; 0 1] with p = (0, 0, pivot_depth).
at::Tensor se3_exp(const at::Tensor& delta, double pivot_depth = 0);
// The corrected world-to-camera matrix (4, 4), differentiable in `delta` (6); `viewmat` is not changed.
at::Tensor corrected_viewmat(const at::Tensor& viewmat, const at::Tensor& delta, double pivot_depth = 0);
// The camera with the correction applied (values taken from `delta`, no gradient).
Camera corrected_camera(const Camera& camera, const at::Tensor& delta, double pivot_depth = 0);

// How far camera `b` is from camera `a`: rotation angle (degrees) of R_b R_a^T and distance of the centres.
struct PoseDifference {
  double rotation_deg = 0, translation = 0;
};
PoseDifference pose_difference(const Camera& a, const Camera& b);

}  // namespace ttgs::refine
