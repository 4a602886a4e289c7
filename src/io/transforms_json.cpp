#include "io/transforms_json.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "io/file_util.hpp"
#include "io/json_fields.hpp"
#include "io/npy.hpp"
#include "io/image_io.hpp"

namespace ttgs::io {
namespace {
using json = nlohmann::json;

// Intrinsics that may be given globally and overridden per frame.
struct Intrinsics {
  double fl_x = 0, fl_y = 0, cx = NAN, cy = NAN, angle_x = NAN, angle_y = NAN;
  int w = 0, h = 0;
  std::string model;
  Distortion dist;
};

double number(const json& j, const char* key, const std::string& where, const std::string& path) {
  const json& v = j.at(key);
  if (!v.is_number()) throw InputError(path, where + "'" + key + "' must be a number");
  const double d = v.get<double>();
  if (!std::isfinite(d)) throw InputError(path, where + "'" + key + "' is NaN or infinite");
  return d;
}

void read_intrinsics(const json& j, Intrinsics& in, const std::string& where, const std::string& path) {
  auto opt = [&](const char* key, double& dst) {
    if (j.contains(key) && !j.at(key).is_null()) dst = number(j, key, where, path);
  };
  opt("fl_x", in.fl_x);
  opt("fl_y", in.fl_y);
  opt("cx", in.cx);
  opt("cy", in.cy);
  opt("camera_angle_x", in.angle_x);
  opt("camera_angle_y", in.angle_y);
  double w = in.w, h = in.h;
  opt("w", w);
  opt("h", h);
  if (w < 0 || h < 0 || w > 100000 || h > 100000 || w != std::floor(w) || h != std::floor(h))
    throw InputError(path, where + "bad image size w=" + std::to_string(w) + " h=" + std::to_string(h));
  in.w = int(w);
  in.h = int(h);
  opt("k1", in.dist.k1);
  opt("k2", in.dist.k2);
  opt("k3", in.dist.k3);
  opt("k4", in.dist.k4);
  opt("p1", in.dist.p1);
  opt("p2", in.dist.p2);
  if (j.contains("camera_model")) {
    if (!j.at("camera_model").is_string()) throw InputError(path, where + "'camera_model' must be a string");
    in.model = j.at("camera_model").get<std::string>();
  }
}

std::string string_field(const json& j, const char* key, const std::string& where, const std::string& path) {
  if (!j.contains(key) || j.at(key).is_null()) return "";
  if (!j.at(key).is_string()) throw InputError(path, where + "'" + key + "' must be a string");
  return j.at(key).get<std::string>();
}

std::optional<std::vector<std::string>> name_list(const json& root, const char* key, const std::string& path) {
  if (!root.contains(key)) return std::nullopt;
  const json& a = root.at(key);
  if (!a.is_array()) throw InputError(path, std::string("'") + key + "' must be a list of file names");
  std::vector<std::string> out;
  for (const auto& v : a) {
    if (!v.is_string()) throw InputError(path, std::string("'") + key + "' must be a list of file names");
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace

// ttgs's rig and LiDAR extensions of transforms.json (other readers ignore them):
//   "rig": {"sensors": [{"name", "sensor_to_vehicle" (camera in OpenCV axes)}],
//           "ego_poses": [{"time", "transform_matrix" (vehicle to world)}]}
//   "lidar": [{"time", "file_path" (.npy, N x 3 or N x 4 float32: world x y z [intensity]), "origin": [x, y, z]}]
void read_rig_and_lidar(const json& root, DatasetSource& src, const std::string& path) {
  if (root.contains("rig")) {
    const json& r = root.at("rig");
    Rig rig;
    for (const json& s : r.value("sensors", json::array())) {
      rig.sensors.push_back(string_field(s, "name", "rig sensor: ", path));
      rig.sensor_to_vehicle.push_back(Pose::from_matrix(matrix4_field(s, "sensor_to_vehicle", "rig sensor: ", path)));
    }
    for (const json& e : r.value("ego_poses", json::array())) {
      src.timestamps.push_back(number(e, "time", "rig ego pose: ", path));
      rig.vehicle_to_world.push_back(Pose::from_matrix(matrix4_field(e, "transform_matrix", "rig ego pose: ", path)));
    }
    if (rig.sensors.empty() || rig.vehicle_to_world.empty())
      throw InputError(path, "'rig' needs 'sensors' and 'ego_poses'");
    if (!std::is_sorted(src.timestamps.begin(), src.timestamps.end()))
      throw InputError(path, "'rig' ego poses must be in time order");
    src.rig = rig;
  }
  for (const json& l : root.value("lidar", json::array())) {
    LidarSweep sweep;
    sweep.time = number(l, "time", "lidar: ", path);
    const std::string file = join_path(src.root, string_field(l, "file_path", "lidar: ", path));
    const Image a = read_npy_image(file);
    if (a.width != 3 && a.width != 4) throw InputError(file, "expected an N x 3 or N x 4 array of points");
    for (int i = 0; i < a.height; ++i) {
      for (int c = 0; c < 3; ++c) sweep.points.push_back(a.at(c, i));
      if (a.width == 4) sweep.intensity.push_back(a.at(3, i));
    }
    const json& o = l.value("origin", json::array({0, 0, 0}));
    if (o.is_array() && o.size() == 3) sweep.origin = {o[0].get<double>(), o[1].get<double>(), o[2].get<double>()};
    src.lidar.push_back(std::move(sweep));
  }
}

DatasetSource parse_transforms_json(const std::string& text, const std::string& path) {
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {
    throw InputError(path, std::string("invalid JSON: ") + e.what());
  }
  if (!root.is_object()) throw InputError(path, "expected a JSON object at the top level");
  DatasetSource src;
  src.meta_path = path;
  src.root = parent_path(path);
  src.format = root.contains("camera_model") ? "nerfstudio" : "instant-ngp";
  Intrinsics global;
  read_intrinsics(root, global, "", path);
  const double depth_scale = root.contains("depth_unit_scale_factor") ? number(root, "depth_unit_scale_factor", "", path) : 1e-3;
  if (!(depth_scale > 0)) throw InputError(path, "'depth_unit_scale_factor' must be positive");
  src.points_path = string_field(root, "ply_file_path", "", path);
  if (!src.points_path.empty()) {
    src.points_path = join_path(src.root, src.points_path);
  } else {
    // No ply_file_path: the point cloud COLMAP-based tools leave beside transforms.json (colmap2nerf, nerfstudio).
    for (const char* beside : {"points3D.ply", "sparse_pc.ply"})
      if (file_exists(join_path(src.root, beside))) {
        src.points_path = join_path(src.root, beside);
        src.points_beside = true;
        break;
      }
  }
  src.train_names = name_list(root, "train_filenames", path);
  auto val = name_list(root, "val_filenames", path), test = name_list(root, "test_filenames", path);
  src.test_names = test ? test : val;
  if (root.contains("masks_exclude")) {
    const json& ex = root.at("masks_exclude");
    if (!ex.is_array() || ex.empty()) throw InputError(path, "'masks_exclude' must be a non-empty list");
    for (const json& what : ex)
      if (!what.is_string() || (what != "sky" && what != "actors"))
        throw InputError(path, "'masks_exclude' lists what masks hide: \"sky\", \"actors\"");
    src.masks_exclude_sky_and_actors = true;
  }

  if (!root.contains("frames") || !root.at("frames").is_array()) throw InputError(path, "no 'frames' list");
  const json& frames = root.at("frames");
  if (frames.empty()) throw InputError(path, "the 'frames' list is empty");
  src.num_listed = frames.size();
  for (size_t i = 0; i < frames.size(); ++i) {
    const json& f = frames[i];
    const std::string where = "frame " + std::to_string(i) + ": ";
    if (!f.is_object()) throw InputError(path, where + "expected an object");
    FrameSource fs;
    fs.name = string_field(f, "file_path", where, path);
    if (fs.name.empty()) throw InputError(path, where + "missing 'file_path'");
    fs.image_path = join_path(src.root, fs.name);
    // Blender synthetic datasets name frames without an extension ("./train/r_0").
    if (!file_exists(fs.image_path) && lower_extension(fs.image_path).empty() && file_exists(fs.image_path + ".png"))
      fs.image_path += ".png";
    Intrinsics in = global;
    read_intrinsics(f, in, where, path);
    if (in.model.empty()) in.model = in.dist.is_zero() ? "PINHOLE" : "OPENCV";
    if (in.model == "OPENCV_FISHEYE" || in.model == "FISHEYE" || in.model == "EQUIRECTANGULAR")
      throw InputError(path, where + "camera model " + in.model + " is not supported (use PINHOLE or OPENCV; "
                                     "undistort fisheye images with COLMAP's image_undistorter first)");
    if (in.model != "PINHOLE" && in.model != "OPENCV" && in.model != "SIMPLE_PINHOLE")
      throw InputError(path, where + "unknown camera_model '" + in.model + "'");
    const std::string mask = string_field(f, "mask_path", where, path);
    const std::string depth = string_field(f, "depth_file_path", where, path);
    fs.mask_path = mask.empty() ? "" : join_path(src.root, mask);
    fs.depth_path = depth.empty() ? "" : join_path(src.root, depth);
    fs.depth_scale = depth_scale;
    if (!f.contains("transform_matrix")) throw InputError(path, where + "missing 'transform_matrix'");
    const json& tm = f.at("transform_matrix");
    if (!tm.is_array() || (tm.size() != 4 && tm.size() != 3))
      throw InputError(path, where + "'transform_matrix' must be a 4x4 (or 3x4) matrix");
    Mat4 c2w = identity4();
    for (size_t r = 0; r < tm.size(); ++r) {
      if (!tm[r].is_array() || tm[r].size() != 4) throw InputError(path, where + "'transform_matrix' must be a 4x4 (or 3x4) matrix");
      for (size_t c = 0; c < 4; ++c) {
        if (!tm[r][c].is_number()) throw InputError(path, where + "'transform_matrix' holds a non-number");
        c2w[r][c] = tm[r][c].get<double>();
        if (!std::isfinite(c2w[r][c])) throw InputError(path, where + "'transform_matrix' holds NaN or infinity");
      }
    }
    Mat3 rot;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 3; ++c) rot[r][c] = c2w[r][c];
    const double det = rot[0][0] * (rot[1][1] * rot[2][2] - rot[1][2] * rot[2][1]) -
                       rot[0][1] * (rot[1][0] * rot[2][2] - rot[1][2] * rot[2][0]) +
                       rot[0][2] * (rot[1][0] * rot[2][1] - rot[1][1] * rot[2][0]);
    if (!(det > 1e-6)) throw InputError(path, where + "'transform_matrix' has no proper rotation (determinant " + std::to_string(det) + ")");
    fs.camera.set_camera_to_world_opengl(c2w);
    fs.camera_model = in.model;
    fs.distortion = in.model == "OPENCV" ? in.dist : Distortion{};
    if (f.contains("time")) fs.time = number(f, "time", where, path);
    fs.sensor = string_field(f, "camera", where, path);
    if (!file_exists(fs.image_path)) {
      src.missing.push_back(fs.name);
      continue;
    }
    // w and h may be absent (Blender): take them from the image header.
    if (in.w == 0 || in.h == 0) {
      const DecodedImage d = read_image(fs.image_path);
      in.w = d.color.width;
      in.h = d.color.height;
    }
    if (in.fl_x <= 0 && std::isfinite(in.angle_x)) in.fl_x = 0.5 * in.w / std::tan(0.5 * in.angle_x);
    if (in.fl_y <= 0 && std::isfinite(in.angle_y)) in.fl_y = 0.5 * in.h / std::tan(0.5 * in.angle_y);
    if (in.fl_y <= 0) in.fl_y = in.fl_x;
    if (in.fl_x <= 0) in.fl_x = in.fl_y;
    if (!(in.fl_x > 0)) throw InputError(path, where + "no focal length (fl_x, fl_y or camera_angle_x)");
    fs.camera.fx = in.fl_x;
    fs.camera.fy = in.fl_y;
    fs.camera.cx = std::isfinite(in.cx) ? in.cx : in.w / 2.0;
    fs.camera.cy = std::isfinite(in.cy) ? in.cy : in.h / 2.0;
    fs.camera.width = in.w;
    fs.camera.height = in.h;
    src.frames.push_back(fs);
  }
  read_rig_and_lidar(root, src, path);
  if (file_exists(join_path(src.root, "actors.json"))) src.actors_path = join_path(src.root, "actors.json");
  return src;
}

DatasetSource read_transforms_json(const std::string& json_path) {
  return parse_transforms_json(read_file(json_path), json_path);
}

std::vector<std::vector<double>> matrix_rows(const Mat4& m) {
  std::vector<std::vector<double>> rows;
  for (const auto& r : m) rows.push_back({r[0], r[1], r[2], r[3]});
  return rows;
}

}  // namespace ttgs::io
