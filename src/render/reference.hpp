#pragma once
// The slow, obviously-correct renderer the tests compare against: every Gaussian against every pixel, in plain
// LibTorch ops, with LibTorch autograd for its gradients. Same conventions as project.hpp and rasterize.hpp.
// Memory is O(N x H x W): for small test scenes only.
#include "render/rasterizer.hpp"

namespace ttgs::render {

RenderResult render_reference(const model::Gaussians& gaussians, const at::Tensor& viewmat, const Intrinsics& intrinsics,
                              const RenderSettings& settings);

}  // namespace ttgs::render
