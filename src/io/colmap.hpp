#pragma once
// COLMAP sparse models, binary (cameras.bin, images.bin, points3D.bin) and text (*.txt): read and write.
// Camera models SIMPLE_PINHOLE, PINHOLE, SIMPLE_RADIAL, RADIAL, OPENCV, FULL_OPENCV; others fail clearly.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/camera.hpp"
#include "core/distortion.hpp"

namespace ttgs::io {

struct ColmapCamera {
  uint32_t id = 0;
  std::string model;  // e.g. "OPENCV"
  uint64_t width = 0, height = 0;
  std::vector<double> params;
};

struct ColmapPoint2D {
  double x = 0, y = 0;
  int64_t point3d_id = -1;  // -1: not triangulated
};

struct ColmapImage {
  uint32_t id = 0;
  std::array<double, 4> qvec{1, 0, 0, 0};  // world-to-camera rotation, w x y z
  std::array<double, 3> tvec{0, 0, 0};     // world-to-camera translation
  uint32_t camera_id = 0;
  std::string name;
  std::vector<ColmapPoint2D> points2d;
};

struct ColmapTrackElement {
  uint32_t image_id = 0, point2d_idx = 0;
};

struct ColmapPoint3D {
  uint64_t id = 0;
  std::array<double, 3> xyz{};
  std::array<uint8_t, 3> rgb{};
  double error = 0;
  std::vector<ColmapTrackElement> track;
};

struct ColmapModel {
  std::map<uint32_t, ColmapCamera> cameras;
  std::vector<ColmapImage> images;  // in file order
  std::vector<ColmapPoint3D> points;
};

// The model in a folder holding cameras/images/points3D as .bin or .txt (binary preferred when both exist).
ColmapModel read_colmap_model(const std::string& dir);
void write_colmap_binary(const ColmapModel& model, const std::string& dir);  // atomic per file
void write_colmap_text(const ColmapModel& model, const std::string& dir);

// Parsers over bytes; `name` is the path used in error messages.
std::map<uint32_t, ColmapCamera> parse_cameras_bin(const std::string& bytes, const std::string& name);
std::vector<ColmapImage> parse_images_bin(const std::string& bytes, const std::string& name);
std::vector<ColmapPoint3D> parse_points3d_bin(const std::string& bytes, const std::string& name);
std::map<uint32_t, ColmapCamera> parse_cameras_txt(const std::string& text, const std::string& name);
std::vector<ColmapImage> parse_images_txt(const std::string& text, const std::string& name);
std::vector<ColmapPoint3D> parse_points3d_txt(const std::string& text, const std::string& name);

// Number of parameters of a COLMAP camera model, or -1 when the model is unknown.
int colmap_model_param_count(const std::string& model);
// Pinhole intrinsics and distortion of a COLMAP camera; InputError for unsupported models.
void colmap_intrinsics(const ColmapCamera& cam, const std::string& name, double& fx, double& fy, double& cx,
                       double& cy, Distortion& dist);
Camera colmap_pose(const ColmapImage& img, Camera cam);  // sets R, t from qvec, tvec

}  // namespace ttgs::io
