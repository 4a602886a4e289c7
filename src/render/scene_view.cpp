#include "render/scene_view.hpp"

namespace ttgs::render {
namespace {

// A pinhole camera with these intrinsics and the pose of a world-to-camera matrix's values.
Camera camera_of(const at::Tensor& viewmat, const Intrinsics& k) {
  const at::Tensor m = viewmat.detach().to(at::kDouble).contiguous();
  const double* v = m.data_ptr<double>();
  Camera c;
  c.fx = k.fx, c.fy = k.fy, c.cx = k.cx, c.cy = k.cy, c.width = k.width, c.height = k.height;
  for (int r = 0; r < 3; ++r) {
    for (int col = 0; col < 3; ++col) c.R[size_t(r)][size_t(col)] = v[r * 4 + col];
    c.t[size_t(r)] = v[r * 4 + 3];
  }
  return c;
}

}  // namespace

RenderResult render_view(const model::SceneModel& scene, const io::Dataset& ds, size_t frame, const at::Tensor& viewmat,
                         const Intrinsics& intrinsics, const RenderSettings& settings) {
  const io::Frame& f = ds.frames.at(frame);
  RenderSettings s = settings;
  if (scene.environment.defined())
    s.background = model::environment_background(scene.environment, camera_of(viewmat, intrinsics));
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
