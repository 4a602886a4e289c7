#include "model/environment.hpp"

#include <cmath>
#include <stdexcept>

namespace ttgs::model {

EnvironmentMap make_environment(const Vec3& up_in, int height, float rgb) {
  const double n = norm(up_in);
  if (!(n > 0) || height < 2) throw std::invalid_argument("make_environment: bad up axis or size");
  const Vec3 up = (1.0 / n) * up_in;
  // Any axis perpendicular to up, then the third by the cross product.
  const Vec3 helper = std::abs(up[0]) < 0.9 ? Vec3{1, 0, 0} : Vec3{0, 1, 0};
  Vec3 x = cross(helper, up);
  x = (1.0 / norm(x)) * x;
  const Vec3 y = cross(up, x);
  EnvironmentMap m;
  const float logit = std::log(rgb / (1 - rgb));
  m.logits = at::full({height, 2 * height, 3}, logit, at::kFloat);
  m.frame = at::tensor({x[0], x[1], x[2], y[0], y[1], y[2], up[0], up[1], up[2]}, at::kFloat).view({3, 3});
  return m;
}

at::Tensor environment_background(const EnvironmentMap& map, const Camera& c) {
  const int64_t h = c.height, w = c.width;
  const at::Tensor u = (at::arange(w, at::kFloat) + 0.5f - float(c.cx)) / float(c.fx);
  const at::Tensor v = (at::arange(h, at::kFloat) + 0.5f - float(c.cy)) / float(c.fy);
  const at::Tensor cam = at::stack({u.view({1, w}).expand({h, w}), v.view({h, 1}).expand({h, w}), at::ones({h, w})}, 2);
  at::Tensor R = at::empty({3, 3}, at::kFloat);
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 3; ++k) R[r][k] = float(c.R[size_t(r)][size_t(k)]);
  // World direction d = Rᵀ x (rows: x @ R), then in the map's frame.
  at::Tensor d = cam.view({-1, 3}).matmul(R).matmul(map.frame.t());
  d = d / d.norm(2, {1}, true);
  const at::Tensor lon = at::atan2(d.select(1, 1), d.select(1, 0));
  const at::Tensor lat = at::asin(d.select(1, 2).clamp(-1, 1));
  const at::Tensor grid = at::stack({lon / float(M_PI), -lat / float(M_PI / 2)}, 1).view({1, h, w, 2});
  const at::Tensor texels = at::sigmoid(map.logits).permute({2, 0, 1}).unsqueeze(0);
  // Bilinear, border padding, texel centres at (i + 0.5) / size.
  return at::grid_sampler(texels, grid, 0, 1, false).squeeze(0).permute({1, 2, 0}).contiguous();
}

Vec3 mean_camera_up(const std::vector<Camera>& cameras) {
  Vec3 up{0, 0, 0};
  for (const Camera& c : cameras) up = up + Vec3{-c.R[1][0], -c.R[1][1], -c.R[1][2]};  // -y axis in world
  const double n = norm(up);
  return n > 0 ? (1.0 / n) * up : Vec3{0, 0, 1};
}

}  // namespace ttgs::model
