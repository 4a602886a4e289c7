#pragma once
// A pinhole camera: intrinsics in pixels and a world-to-camera rigid transform in OpenCV axes
// (x right, y down, z forward). Pixel (i, j) covers [i, i+1) x [j, j+1); its centre is (i + 0.5, j + 0.5),
// as in COLMAP. Lens distortion never reaches this type: io/undistort removes it on load.
#include <array>

#include "core/math.hpp"

namespace ttgs {

struct Camera {
  double fx = 1, fy = 1, cx = 0, cy = 0;
  int width = 0, height = 0;
  Mat3 R = identity3();  // world -> camera rotation
  Vec3 t{0, 0, 0};       // world -> camera translation: x_cam = R x_world + t

  Vec3 center() const;                 // camera centre in world coordinates
  Vec3 world_to_camera(const Vec3& p) const;
  std::array<double, 2> project(const Vec3& p_world) const;  // pixel coordinates (no depth check)
  Mat4 world_to_camera_matrix() const;
  Mat4 camera_to_world_opencv() const;
  // Camera-to-world in OpenGL / nerfstudio / Blender axes (x right, y up, camera looks down -z).
  Mat4 camera_to_world_opengl() const;
  void set_camera_to_world_opengl(const Mat4& c2w_gl);
  void set_camera_to_world_opencv(const Mat4& c2w_cv);
  // Places the camera at `eye` looking at `target`, with `up` (world) pointing up in the image (-y in OpenCV).
  void look_at(const Vec3& eye, const Vec3& target, const Vec3& up);
  // Intrinsics scaled for an image downscaled by an integer factor (area or nearest resampling).
  Camera downscaled(int factor) const;
};

}  // namespace ttgs
