#pragma once
// Photometric losses on (H, W, C) images: the 3DGS SSIM (11x11 Gaussian window, sigma 1.5, C1 = 0.01², C2 = 0.03²,
// zero padding to the same size) and L1 + SSIM. `ssim` and `photometric` are fused kernels with analytic backward
// passes (gradient with respect to the first image); `ssim_reference` is the SSIM in plain LibTorch ops, for tests.
#include <ATen/ATen.h>

namespace ttgs::loss {

at::Tensor ssim(const at::Tensor& rendered, const at::Tensor& target);  // mean SSIM, a scalar
at::Tensor ssim_reference(const at::Tensor& a, const at::Tensor& b);
// (1 - lambda) · mean |rendered − target| + lambda · (1 - SSIM), one autograd node
at::Tensor photometric(const at::Tensor& rendered, const at::Tensor& target, double lambda = 0.2);
// The photometric loss over a frame's valid pixels, the one fit, refine and learn train with: where `mask` (H, W, 1)
// is 0 the rendering is replaced by the target, so those pixels give neither loss nor gradient (undefined mask:
// every pixel counts).
at::Tensor masked_photometric(const at::Tensor& rendered, const at::Tensor& target, const at::Tensor& mask,
                              double lambda = 0.2);

}  // namespace ttgs::loss
