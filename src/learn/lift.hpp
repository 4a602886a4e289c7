#pragma once
// Gradient lifting (G3R): render the decoded state into all source views, take the photometric loss, and bring its
// gradient back to every point's state, all channels, averaged over the views; each channel group (position,
// log-scale, rotation, colour, opacity, latent) is then divided by its root mean square over the points (floored, see
// normalize_gradient) and clipped,
// so the network sees gradients on one scale whatever the image size, view count, point count or scene scale (the
// paper divides each channel by its largest magnitude, which one outlier point decides).
#include <ATen/ATen.h>

#include <vector>

#include "core/camera.hpp"
#include "learn/neural_gaussians.hpp"
#include "train/view_cache.hpp"

namespace ttgs::learn {

using View = train::View;  // camera, photo (H, W, 3), mask (H, W, 1) or undefined

struct LiftedGradient {
  at::Tensor raw;         // (N, C) ∂L/∂state summed over the views
  at::Tensor normalized;  // normalize_gradient(raw / views)
  double loss = 0;        // summed over the views
};

constexpr double kGradientClip = 8, kGradientFloor = 1e-2;
// Each channel group divided by its RMS over the rows, clipped to ±kGradientClip (groups without gradient: 0). The
// dimensionless groups (all but positions) are divided by at least kGradientFloor times the largest of their RMS, so
// a group of pure rounding noise stays near 0.
at::Tensor normalize_gradient(const at::Tensor& gradient);

// The Gaussians (SH degree 0) rendered into the view, (H, W, 3).
at::Tensor render_view(const model::Gaussians& gaussians, const View& view);

// L1 + λ(1 - SSIM) of the Gaussians (SH degree 0) rendered into one view, over its valid pixels.
at::Tensor view_loss(const model::Gaussians& gaussians, const View& view, double ssim_lambda = 0.2);

// The decoder's parameters are not differentiated (only the state), unless `differentiate_decoder`: then the
// gradient of the summed loss is also accumulated in them (they must require grad; test-time training).
LiftedGradient lift_gradients(const at::Tensor& state, const Decoder& decoder, const std::vector<View>& views,
                              double ssim_lambda = 0.2, bool differentiate_decoder = false);

}  // namespace ttgs::learn
