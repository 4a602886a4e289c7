#include "refine/pose_correction.hpp"

#include "render/rasterizer.hpp"

#include <c10/core/GradMode.h>
#include <algorithm>
#include <cmath>

namespace ttgs::refine {

at::Tensor so3_exp(const at::Tensor& w) {
  const at::Tensor theta2 = (w * w).sum(-1, /*keepdim=*/true).unsqueeze(-1);  // (..., 1, 1)
  // sin(t)/t and (1 - cos(t))/t^2: exact with t clamped away from 0 (finite gradients in both branches of the
  // `where`), Taylor series below 1e-4 rad.
  const at::Tensor small = theta2 < 1e-8;
  const at::Tensor theta = theta2.clamp_min(1e-8).sqrt();
  const at::Tensor a = at::where(small, 1 - theta2 / 6 + theta2 * theta2 / 120, at::sin(theta) / theta);
  const at::Tensor b = at::where(small, 0.5 - theta2 / 24 + theta2 * theta2 / 720, (1 - at::cos(theta)) / (theta * theta));
  const at::Tensor x = w.select(-1, 0), y = w.select(-1, 1), z = w.select(-1, 2), zero = at::zeros_like(x);
  const at::Tensor K = at::stack({at::stack({zero, -z, y}, -1), at::stack({z, zero, -x}, -1),
                                  at::stack({-y, x, zero}, -1)}, -2);
  const at::Tensor eye = at::eye(3, w.options()).expand_as(K);
  return eye + a * K + b * at::matmul(K, K);
}

at::Tensor se3_exp(const at::Tensor& delta, double pivot_depth) {
  const at::Tensor R = so3_exp(delta.slice(0, 0, 3));
  // (I - R) p for p = (0, 0, d): d times (e_z - R's third column).
  const at::Tensor ez = at::tensor({0.0, 0.0, 1.0}, delta.options());
  const at::Tensor t = delta.slice(0, 3, 6) + pivot_depth * (ez - R.select(1, 2));
  const at::Tensor top = at::cat({R, t.unsqueeze(1)}, 1);
  const at::Tensor bottom = at::tensor({0.0, 0.0, 0.0, 1.0}, delta.options()).unsqueeze(0);
  return at::cat({top, bottom}, 0);
}

at::Tensor corrected_viewmat(const at::Tensor& viewmat, const at::Tensor& delta, double pivot_depth) {
  return at::matmul(se3_exp(delta.to(viewmat.scalar_type()), pivot_depth), viewmat);
}

Camera corrected_camera(const Camera& c, const at::Tensor& delta, double pivot_depth) {
  c10::NoGradGuard no_grad;
  return render::with_viewmat(c, corrected_viewmat(render::viewmat_of(c, at::kDouble), delta.detach().to(at::kDouble),
                                                   pivot_depth));
}

PoseDifference pose_difference(const Camera& a, const Camera& b) {
  const Mat3 d = b.R * transpose(a.R);
  const double cos_angle = std::clamp((d[0][0] + d[1][1] + d[2][2] - 1) / 2, -1.0, 1.0);
  return {std::acos(cos_angle) * 180 / M_PI, norm(a.center() - b.center())};
}

}  // namespace ttgs::refine
