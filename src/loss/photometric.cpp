#include "loss/photometric.hpp"

#include <cmath>

namespace ttgs::loss {
namespace {
at::Tensor gaussian_window(int size, double sigma, const at::TensorOptions& o) {
  at::Tensor x = at::arange(size, o) - (size - 1) / 2.0;
  at::Tensor g = (-(x * x) / (2 * sigma * sigma)).exp();
  g = g / g.sum();
  return g;
}
}  // namespace

at::Tensor ssim(const at::Tensor& a, const at::Tensor& b) {
  const int win = 11;
  const at::Tensor g = gaussian_window(win, 1.5, a.options());
  // Separable blur of (1, 3, H, W) images per channel.
  const auto blur = [&](const at::Tensor& x) {
    const at::Tensor kx = g.view({1, 1, 1, win}).expand({3, 1, 1, win}).contiguous();
    const at::Tensor ky = g.view({1, 1, win, 1}).expand({3, 1, win, 1}).contiguous();
    at::Tensor y = at::conv2d(x, kx, at::Tensor(), at::IntArrayRef{1, 1}, at::IntArrayRef{0, win / 2}, at::IntArrayRef{1, 1}, 3);
    return at::conv2d(y, ky, at::Tensor(), at::IntArrayRef{1, 1}, at::IntArrayRef{win / 2, 0}, at::IntArrayRef{1, 1}, 3);
  };
  const at::Tensor x = a.permute({2, 0, 1}).unsqueeze(0), y = b.permute({2, 0, 1}).unsqueeze(0);
  const at::Tensor mx = blur(x), my = blur(y);
  const at::Tensor sxx = blur(x * x) - mx * mx, syy = blur(y * y) - my * my, sxy = blur(x * y) - mx * my;
  const double C1 = 0.01 * 0.01, C2 = 0.03 * 0.03;
  const at::Tensor map = ((2 * mx * my + C1) * (2 * sxy + C2)) / ((mx * mx + my * my + C1) * (sxx + syy + C2));
  return map.mean();
}

at::Tensor l1(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().mean(); }

at::Tensor photometric(const at::Tensor& rendered, const at::Tensor& target, double lambda) {
  return (1 - lambda) * l1(rendered, target) + lambda * (1 - ssim(rendered, target));
}

}  // namespace ttgs::loss
