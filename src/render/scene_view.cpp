#include "render/scene_view.hpp"

namespace ttgs::render {

RenderResult render_view(const model::SceneModel& scene, const io::Dataset& ds, size_t frame, const Camera& camera,
                         const RenderSettings& settings) {
  const io::Frame& f = ds.frames.at(frame);
  RenderSettings s = settings;
  if (scene.environment.defined()) s.background = model::environment_background(scene.environment, camera);
  const model::Gaussians placed =
      scene.dynamic() ? model::place_at(scene.gaussians, scene.actors, f.time_index) : scene.gaussians;
  RenderResult r = render(placed, camera, s);
  if (scene.appearance.defined())
    r.rgb = model::apply_appearance(r.rgb, model::appearance_of(scene.appearance, scene.appearance_trained, ds, frame));
  return r;
}

}  // namespace ttgs::render
