#pragma once
// The distant region (sky, far buildings): a colour per viewing direction, stored as a latitude-longitude map about
// the scene's up axis and looked up bilinearly. It is the per-pixel background of the rasterizer, so it shows
// wherever the Gaussians leave a pixel transparent, and it receives gradients through that background.
#include <ATen/ATen.h>

#include "core/camera.hpp"

namespace ttgs::model {

struct EnvironmentMap {
  at::Tensor logits;  // (H, W, 3): colour = sigmoid(logits); rows from up (top) to down, columns by azimuth
  at::Tensor frame;   // (3, 3) rows: the map's x, y and up axes in world coordinates
  bool defined() const { return logits.defined(); }
};

// A map of `height` x 2·height texels, uniform colour `rgb`, about the world direction `up`.
EnvironmentMap make_environment(const Vec3& up, int height = 32, float rgb = 0.6f);

// The background of a camera's image: the map seen along each pixel centre's ray, (H, W, 3).
at::Tensor environment_background(const EnvironmentMap& map, const Camera& camera);

// The up direction of a set of cameras: the mean of their image-up axes (-y in OpenCV), normalized.
Vec3 mean_camera_up(const std::vector<Camera>& cameras);

}  // namespace ttgs::model
