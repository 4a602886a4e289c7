#pragma once
// Photometric losses on (H, W, 3) images: L1 and the 3DGS SSIM (11x11 Gaussian window, sigma 1.5, C1 = 0.01²,
// C2 = 0.03², zero padding to the same size), written in LibTorch ops (autograd gives the backward). The fused SSIM
// kernel with an analytic backward that the fit issue asks for will replace `ssim` behind the same signature.
#include <ATen/ATen.h>

namespace ttgs::loss {

at::Tensor ssim(const at::Tensor& a, const at::Tensor& b);  // mean SSIM, a scalar
at::Tensor l1(const at::Tensor& a, const at::Tensor& b);
// (1 - lambda) · L1 + lambda · (1 - SSIM)
at::Tensor photometric(const at::Tensor& rendered, const at::Tensor& target, double lambda = 0.2);

}  // namespace ttgs::loss
