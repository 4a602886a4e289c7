#pragma once
// Image quality metrics on (H, W, 3) images in [0, 1].
#include <ATen/ATen.h>

namespace ttgs::eval {

// PSNR in dB over the pixels where mask (H, W, 1) is 1 (all pixels when mask is undefined); +inf for identical images.
double psnr(const at::Tensor& image, const at::Tensor& reference, const at::Tensor& mask = at::Tensor());
// The 3DGS SSIM (11x11 Gaussian window, sigma 1.5), the mean over pixels and channels.
double ssim(const at::Tensor& image, const at::Tensor& reference);

}  // namespace ttgs::eval
