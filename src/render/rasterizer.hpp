#pragma once
// The differentiable renderer as a LibTorch autograd function: render(gaussians, camera) -> {rgb, alpha, depth},
// then loss.backward() gives gradients for every Gaussian attribute, the background and the world-to-camera matrix.
#include <ATen/ATen.h>

#include <memory>

#include "core/camera.hpp"
#include "model/gaussians.hpp"
#include "render/project.hpp"

namespace ttgs::render {

struct RenderSettings {
  RasterConfig config;
  at::Tensor background;  // (3) or (H, W, 3); undefined = black
};

struct RenderResult {
  at::Tensor rgb;      // (H, W, 3)
  at::Tensor alpha;    // (H, W, 1)
  at::Tensor depth;    // (H, W, 1): expected depth Σ z α T (divide by alpha for the mean depth of covered pixels)
  at::Tensor radii;    // (N) int32 screen radius in pixels, 0 = culled
  at::Tensor visible;  // (N) bool
  at::Tensor means2d;  // (N, 2) projected centres in pixels (no gradient)
  // d loss / d means2d (N, 2), filled in by backward: the screen-space gradient 3DGS densification accumulates.
  std::shared_ptr<at::Tensor> means2d_grad = std::make_shared<at::Tensor>();
};

Intrinsics intrinsics_of(const Camera& camera);
at::Tensor viewmat_of(const Camera& camera, at::ScalarType dtype = at::kFloat);  // (4, 4) world-to-camera
// The inverse of viewmat_of: `camera`'s intrinsics with the pose of a (4, 4) world-to-camera matrix's values.
Camera with_viewmat(Camera camera, const at::Tensor& viewmat);

// Gaussians and viewmat in float32 or float64 on the CPU (all the same dtype). A viewmat that requires grad
// receives the camera gradient.
RenderResult render(const model::Gaussians& gaussians, const at::Tensor& viewmat, const Intrinsics& intrinsics,
                    const RenderSettings& settings);
RenderResult render(const model::Gaussians& gaussians, const Camera& camera, const RenderSettings& settings);

// SH coefficients as one (N, K, 3) tensor, DC first.
at::Tensor sh_coefficients(const model::Gaussians& gaussians);

}  // namespace ttgs::render
