#include "render/scene_view.hpp"

namespace ttgs::render {

RenderResult render_view(const model::SceneModel& scene, const io::Dataset& ds, size_t frame, const at::Tensor& viewmat,
                         const Intrinsics& intrinsics, const RenderSettings& settings) {
  const io::Frame& f = ds.frames.at(frame);
  RenderSettings s = settings;
  s.config.antialiased = settings.config.antialiased || scene.antialiased;
  if (scene.environment.defined()) {
    Camera seen;
    seen.fx = intrinsics.fx, seen.fy = intrinsics.fy, seen.cx = intrinsics.cx, seen.cy = intrinsics.cy;
    seen.width = intrinsics.width, seen.height = intrinsics.height;
    s.background = model::environment_background(scene.environment, with_viewmat(seen, viewmat));
  }
  const model::Gaussians placed =
      scene.dynamic() ? model::place_at(scene.gaussians, scene.actors, f.time_index) : scene.gaussians;
  RenderResult r = render(placed, viewmat.to(placed.means.scalar_type()), intrinsics, s);
  if (scene.appearance.defined())
    r.rgb = model::apply_appearance(r.rgb, model::appearance_of(scene.appearance, scene.appearance_trained, ds, frame));
  return r;
}

RenderResult render_view(const model::SceneModel& scene, const io::Dataset& ds, size_t frame, const Camera& camera,
                         const RenderSettings& settings) {
  return render_view(scene, ds, frame, viewmat_of(camera, scene.gaussians.means.scalar_type()), intrinsics_of(camera),
                     settings);
}

}  // namespace ttgs::render
