#pragma once
// Rendering one view of a scene model: the Gaussians placed at the view's timestamp, the environment map as the
// per-pixel background, then the view's appearance transform. Differentiable in everything the model holds.
#include "io/dataset.hpp"
#include "model/scene_model.hpp"
#include "render/rasterizer.hpp"

namespace ttgs::render {

// Dataset frame `frame` seen through a world-to-camera matrix (4, 4) with these intrinsics; differentiable w.r.t.
// `viewmat` through the Gaussians (the environment background follows its values, without a gradient).
RenderResult render_view(const model::SceneModel& scene, const io::Dataset& dataset, size_t frame,
                         const at::Tensor& viewmat, const Intrinsics& intrinsics, const RenderSettings& settings);
// Dataset frame `frame` seen by `camera` (normally the frame's own, possibly downscaled).
RenderResult render_view(const model::SceneModel& scene, const io::Dataset& dataset, size_t frame,
                         const Camera& camera, const RenderSettings& settings);
inline RenderResult render_view(const model::SceneModel& scene, const io::Dataset& dataset, size_t frame,
                                const RenderSettings& settings) {
  return render_view(scene, dataset, frame, dataset.frames.at(frame).camera, settings);
}

}  // namespace ttgs::render
