#pragma once
// The 3DGS SSIM as a fused CPU kernel with an analytic backward, LibTorch-free and templated on float/double.
// Window: 11x11 Gaussian, sigma 1.5, applied separably with zero padding to the same size (as conv2d with
// padding 5); C1 = 0.01², C2 = 0.03². Images are (H, W, C) interleaved; the value is the mean of the SSIM map over
// all pixels and channels. The gradient is with respect to the first image only.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ttgs::loss {

template <typename T>
struct SsimState {
  int height = 0, width = 0, channels = 0;
  // What the backward pass blurs: three (H, W, C) interleaved planes back to back, the SSIM map's derivatives
  // with respect to its window statistics (A = dS/dmu_x - 2 mu_x dS/ds_xx - mu_y dS/ds_xy, B = dS/ds_xx,
  // D = dS/ds_xy; see ssim_kernel.cpp).
  std::vector<T> planes;
  const T* plane(int k) const { return planes.data() + std::size_t(k) * std::size_t(height) * width * channels; }
};

template <typename T>
T ssim_forward(const T* x, const T* y, int height, int width, int channels, SsimState<T>& state);

// d(mean SSIM)/dx times upstream, plus l1_weight · sign(x − y) (the L1 loss's gradient, fused into the same pass),
// into dx (H, W, C interleaved).
template <typename T>
void ssim_backward(const T* x, const T* y, const SsimState<T>& state, T upstream, T* dx, T l1_weight = T(0));

// mean |x − y| over an (H, W, C) image, summed row by row (the same for any thread count).
template <typename T>
T l1_mean(const T* x, const T* y, int height, int width, int channels);

}  // namespace ttgs::loss
