#include "io/drivestudio.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "io/file_util.hpp"
#include "io/image_io.hpp"
#include "io/json_fields.hpp"

namespace ttgs::io {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

constexpr double kFarFromOrigin = 1000;  // metres: a first ego position farther than this is recentred

// The scene's frame indices (from ego_pose/), camera indices (from extrinsics/) and where to resolve paths.
struct Layout {
  std::string root;
  std::vector<int> frames, cameras;
  std::vector<std::string> mask_dirs;  // sky and dynamic mask folders that hold masks
  Pose shift;                          // recentring: dataset world -> our world
};

bool is_digits(const std::string& s) {
  return !s.empty() && s.size() < 9 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit((unsigned char)c); });
}

// The indices N of the files N.<ext> in `dir` (other files are ignored unless they end in <ext>: then they are
// an error naming them), ascending.
std::vector<int> numbered_files(const std::string& dir, const std::string& ext) {
  std::vector<int> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const fs::path p = e.path();
    if (lower_extension(p.string()) != ext) continue;
    const std::string stem = p.stem().string();
    if (!is_digits(stem)) {
      const bool per_frame = stem.find('_') != std::string::npos;
      throw InputError(p.string(), per_frame ? "per-frame camera poses (drivestudio's nuScenes/PandaSet layout) are "
                                               "not supported: expected the Waymo layout, extrinsics/<camera>.txt"
                                             : "expected a file named <index>" + ext);
    }
    out.push_back(std::stoi(stem));
  }
  if (ec) throw InputError(dir, "cannot list the folder: " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

// The whitespace-separated numbers of a text file, as numpy.savetxt writes them.
std::vector<double> read_numbers(const std::string& path) {
  const std::string text = read_file(path);
  std::vector<double> out;
  const char* p = text.data();
  const char* end = p + text.size();
  while (true) {
    while (p < end && std::isspace((unsigned char)*p)) ++p;
    if (p == end) return out;
    const char* start = p + (*p == '+' ? 1 : 0);
    double v = 0;
    const auto r = std::from_chars(start, end, v);
    if (r.ec != std::errc() || (r.ptr < end && !std::isspace((unsigned char)*r.ptr)) || !std::isfinite(v)) {
      const char* stop = std::find_if(p, end, [](char c) { return std::isspace((unsigned char)c); });
      throw InputError(path, "number " + std::to_string(out.size() + 1) + " is not a finite number: '" +
                                 std::string(p, size_t(std::min<ptrdiff_t>(stop - p, 40))) + "'");
    }
    out.push_back(v);
    p = r.ptr;
  }
}

// A rigid transform given as a 4x4 matrix; InputError naming `path` when it is not one.
Pose rigid_pose(const Mat4& m, const std::string& path, const std::string& where) {
  const double last[4] = {0, 0, 0, 1};
  for (int c = 0; c < 4; ++c)
    if (std::abs(m[3][c] - last[c]) > 1e-6) throw InputError(path, where + "the last row must be 0 0 0 1");
  const Pose p = Pose::from_matrix(m);
  const Mat3 rtr = transpose(p.rotation) * p.rotation;
  double err = 0;
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) err = std::max(err, std::abs(rtr[i][j] - (i == j ? 1.0 : 0.0)));
  const Mat3& r = p.rotation;
  const double det = dot({r[0][0], r[0][1], r[0][2]}, cross({r[1][0], r[1][1], r[1][2]}, {r[2][0], r[2][1], r[2][2]}));
  if (err > 1e-3 || det < 0) throw InputError(path, where + "the upper-left 3x3 block is not a rotation");
  return p;
}

Pose read_pose_file(const std::string& path) {
  const std::vector<double> v = read_numbers(path);
  if (v.size() != 16)
    throw InputError(path, "expected a 4x4 matrix (16 numbers), found " + std::to_string(v.size()) + " numbers");
  Mat4 m{};
  for (int i = 0; i < 16; ++i) m[size_t(i / 4)][size_t(i % 4)] = v[size_t(i)];
  return rigid_pose(m, path, "");
}

// fx fy cx cy k1 k2 p1 p2 k3 (Waymo's CameraCalibration.intrinsic, OpenCV's distortion model).
void read_intrinsics(const std::string& path, FrameSource& f) {
  const std::vector<double> v = read_numbers(path);
  if (v.size() != 9)
    throw InputError(path, "expected 9 numbers (fx fy cx cy k1 k2 p1 p2 k3), found " + std::to_string(v.size()));
  if (!(v[0] > 0 && v[1] > 0)) throw InputError(path, "focal lengths fx, fy must be positive");
  f.camera.fx = v[0];
  f.camera.fy = v[1];
  f.camera.cx = v[2];
  f.camera.cy = v[3];
  f.distortion = Distortion{};
  f.distortion.k1 = v[4];
  f.distortion.k2 = v[5];
  f.distortion.p1 = v[6];
  f.distortion.p2 = v[7];
  f.distortion.k3 = v[8];
  f.camera_model = f.distortion.is_zero() ? "PINHOLE" : "FULL_OPENCV";
}

// `base` + the first of `extensions` that exists, or "".
std::string existing_file(const std::string& base, std::initializer_list<const char*> extensions) {
  for (const char* ext : extensions)
    if (file_exists(base + ext)) return base + ext;
  return "";
}

// A mask folder that holds files (drivestudio's preprocessing creates sky_masks/ empty; extract_masks.py fills it).
bool has_files(const std::string& dir) {
  std::error_code ec;
  return is_directory(dir) && !fs::is_empty(dir, ec);
}

// The dynamic mask folder drivestudio reads: fine_dynamic_masks/all when present, else dynamic_masks/all.
std::string dynamic_mask_dir(const std::string& root) {
  for (const char* sub : {"fine_dynamic_masks/all", "dynamic_masks/all"})
    if (has_files(join_path(root, sub))) return join_path(root, sub);
  return "";
}

// The mask folders to read: sky_masks/ and the dynamic masks, each once it holds files.
std::vector<std::string> mask_dirs(const std::string& root) {
  std::vector<std::string> out;
  if (has_files(join_path(root, "sky_masks"))) out.push_back(join_path(root, "sky_masks"));
  if (!dynamic_mask_dir(root).empty()) out.push_back(dynamic_mask_dir(root));
  return out;
}

// Masks whose set pixels are ignored: the frame's mask in each mask folder (required there).
std::vector<std::string> exclude_masks(const Layout& l, const std::string& stem) {
  std::vector<std::string> out;
  for (const std::string& dir : l.mask_dirs) {
    const std::string file = existing_file(join_path(dir, stem), {".png", ".jpg"});
    if (file.empty()) throw InputError(join_path(dir, stem + ".png"), "missing mask (the folder holds other masks)");
    out.push_back(file);
  }
  return out;
}

double frame_time(int frame) { return frame * kDrivestudioFrameSeconds; }

// The rig: extrinsics turned into OpenCV camera axes, one (recentred) ego pose per frame.
Rig read_rig(const Layout& l) {
  Rig rig;
  const Pose opencv_axes{opencv_to_waymo_camera(), {0, 0, 0}};
  for (int c : l.cameras) {
    rig.sensors.push_back(std::to_string(c));
    const Pose ext = read_pose_file(join_path(l.root, "extrinsics/" + std::to_string(c) + ".txt"));
    rig.sensor_to_vehicle.push_back(ext.compose(opencv_axes));
  }
  for (int t : l.frames)
    rig.vehicle_to_world.push_back(
        l.shift.compose(read_pose_file(join_path(l.root, "ego_pose/" + drivestudio_frame_name(t) + ".txt"))));
  return rig;
}

// One frame per (frame, camera); each camera's image size from its first image.
std::vector<FrameSource> read_frames(const Layout& l, const Rig& rig) {
  std::vector<FrameSource> cameras(l.cameras.size());
  for (size_t c = 0; c < l.cameras.size(); ++c)
    read_intrinsics(join_path(l.root, "intrinsics/" + std::to_string(l.cameras[c]) + ".txt"), cameras[c]);
  std::vector<FrameSource> frames;
  for (size_t k = 0; k < l.frames.size(); ++k) {
    for (size_t c = 0; c < l.cameras.size(); ++c) {
      FrameSource f = cameras[c];
      const std::string stem = drivestudio_image_stem(l.frames[k], l.cameras[c]);
      f.image_path = existing_file(join_path(l.root, "images/" + stem), {".jpg", ".png"});
      if (f.image_path.empty())
        throw InputError(join_path(l.root, "images/" + stem + ".jpg"), "missing image (no .jpg or .png)");
      f.name = "images/" + fs::path(f.image_path).filename().string();
      if (k == 0) {
        const DecodedImage d = read_image(f.image_path);
        cameras[c].camera.width = f.camera.width = d.color.width;
        cameras[c].camera.height = f.camera.height = d.color.height;
      }
      f.camera.set_camera_to_world_opencv(rig.vehicle_to_world[k].compose(rig.sensor_to_vehicle[c]).matrix());
      f.time = frame_time(l.frames[k]);
      f.sensor = rig.sensors[c];
      f.exclude_mask_paths = exclude_masks(l, stem);
      frames.push_back(f);
    }
  }
  return frames;
}

// lidar/<t>.bin: the returns taken to world coordinates by the frame's ego pose; the sensor origin is that of the
// first TOP return (laser id 0), else of the first return.
LidarSweep read_lidar_sweep(const std::string& path, const Pose& vehicle_to_world, int k, double time) {
  const std::string bytes = read_file(path);
  const size_t record = sizeof(float) * kDrivestudioLidarFloats;
  if (bytes.size() % record != 0)
    throw InputError(path, "holds " + std::to_string(bytes.size()) + " bytes, not a whole number of " +
                               std::to_string(kDrivestudioLidarFloats) + "-float32 records");
  LidarSweep s;
  s.time_index = k;
  s.time = time;
  s.origin = vehicle_to_world.translation;
  bool top_found = false;
  float row[kDrivestudioLidarFloats];
  for (size_t i = 0; i < bytes.size() / record; ++i) {
    std::memcpy(row, bytes.data() + i * record, record);
    const Vec3 p = vehicle_to_world.apply({row[kLidarPoint], row[kLidarPoint + 1], row[kLidarPoint + 2]});
    const Vec3 o = {row[kLidarOrigin], row[kLidarOrigin + 1], row[kLidarOrigin + 2]};
    if (!std::isfinite(p[0] + p[1] + p[2] + o[0] + o[1] + o[2] + row[kLidarIntensity]))
      throw InputError(path, "return " + std::to_string(i) + " is NaN or infinite");
    for (double v : p) s.points.push_back(float(v));
    s.intensity.push_back(row[kLidarIntensity]);
    if (i == 0 || (!top_found && row[kLidarLaserId] == 0)) s.origin = vehicle_to_world.apply(o);
    top_found = top_found || row[kLidarLaserId] == 0;
  }
  return s;
}

json parse_json_file(const std::string& path) {
  try {
    return json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw InputError(path, std::string("invalid JSON: ") + e.what());
  }
}

// frame_instances.json: per frame index, the instance keys annotated there.
std::map<int, std::vector<std::string>> read_frame_instances(const std::string& path) {
  const json doc = parse_json_file(path);
  if (!doc.is_object()) throw InputError(path, "expected an object of frame index -> instance list");
  std::map<int, std::vector<std::string>> out;
  for (const auto& [frame, list] : doc.items()) {
    if (!is_digits(frame) || !list.is_array())
      throw InputError(path, "frame '" + frame + "': expected a list of instances");
    for (const json& k : list) {
      if (!k.is_number_integer() && !k.is_string())
        throw InputError(path, "frame " + frame + ": instance keys must be integers");
      out[std::stoi(frame)].push_back(k.is_string() ? k.get<std::string>() : std::to_string(k.get<int64_t>()));
    }
  }
  return out;
}

// The track's id: the instance's "id" (the source's own object id), else its key.
std::string instance_id(const std::string& key, const json& v) {
  if (!v.contains("id")) return key;
  return v.at("id").is_string() ? v.at("id").get<std::string>() : v.at("id").dump();
}

const json& annotation_list(const json& a, const char* key, size_t n, const std::string& path,
                            const std::string& where) {
  if (!a.contains(key) || !a.at(key).is_array() || (n != SIZE_MAX && a.at(key).size() != n))
    throw InputError(
        path, where + "'frame_annotations' needs lists 'frame_idx', 'obj_to_world' and 'box_size' of one length");
  return a.at(key);
}

// One instance of instances_info.json as a track on the scene's frames (annotations at frames the scene lacks, or
// that frame_instances.json does not list, are dropped); size = the mean box size, as drivestudio takes it.
ActorTrack read_instance(const std::string& key, const json& v, const Layout& l,
                         const std::map<int, std::vector<std::string>>* listed, const std::string& path) {
  const std::string where = "instance " + key + ": ";
  if (!v.is_object() || !v.contains("class_name") || !v.at("class_name").is_string() ||
      !v.contains("frame_annotations"))
    throw InputError(path, where + "needs a string 'class_name' and 'frame_annotations'");
  const json& a = v.at("frame_annotations");
  const json& frames = annotation_list(a, "frame_idx", SIZE_MAX, path, where);
  const json& poses = annotation_list(a, "obj_to_world", frames.size(), path, where);
  const json& sizes = annotation_list(a, "box_size", frames.size(), path, where);
  ActorTrack t{instance_id(key, v), v.at("class_name").get<std::string>(), {0, 0, 0}, {}, {}};
  std::map<int, Pose> by_index;
  for (size_t i = 0; i < frames.size(); ++i) {
    if (!frames[i].is_number_integer()) throw InputError(path, where + "'frame_idx' must hold integers");
    const int frame = frames[i].get<int>();
    const auto k = std::lower_bound(l.frames.begin(), l.frames.end(), frame);
    if (k == l.frames.end() || *k != frame) continue;
    if (listed) {
      const auto it = listed->find(frame);
      if (it == listed->end() || std::find(it->second.begin(), it->second.end(), key) == it->second.end()) continue;
    }
    const std::string at = where + "annotation " + std::to_string(i) + ": ";
    const Pose pose = l.shift.compose(
        rigid_pose(matrix4_field(json{{"obj_to_world", poses[i]}}, "obj_to_world", at, path), path, at));
    const json& s = sizes[i];
    if (!s.is_array() || s.size() != 3 || !s[0].is_number() || !s[1].is_number() || !s[2].is_number())
      throw InputError(path, at + "'box_size' entries must be three numbers");
    if (!by_index.emplace(int(k - l.frames.begin()), pose).second)
      throw InputError(path, where + "two annotations at frame " + std::to_string(frame));
    t.size = t.size + Vec3{s[0].get<double>(), s[1].get<double>(), s[2].get<double>()};
  }
  for (const auto& [k, pose] : by_index) {
    t.time_indices.push_back(k);
    t.object_to_world.push_back(pose);
  }
  if (!by_index.empty()) t.size = (1.0 / double(by_index.size())) * t.size;
  return t;
}

// instances/instances_info.json (and frame_instances.json when present), instances in the order of their keys.
std::vector<ActorTrack> read_instances(const Layout& l) {
  const std::string info_path = join_path(l.root, "instances/instances_info.json");
  const std::string frames_path = join_path(l.root, "instances/frame_instances.json");
  if (!file_exists(info_path)) return {};
  const json info = parse_json_file(info_path);
  if (!info.is_object()) throw InputError(info_path, "expected an object of instance key -> instance");
  std::map<int, std::vector<std::string>> listed;
  if (file_exists(frames_path)) listed = read_frame_instances(frames_path);
  for (const auto& [frame, keys] : listed)
    for (const std::string& k : keys)
      if (!info.contains(k))
        throw InputError(frames_path, "frame " + std::to_string(frame) + " lists unknown instance " + k);
  std::vector<std::string> keys;
  for (const auto& item : info.items()) keys.push_back(item.key());
  std::stable_sort(keys.begin(), keys.end(), [](const std::string& a, const std::string& b) {
    return is_digits(a) && is_digits(b) ? std::stoi(a) < std::stoi(b) : a < b;
  });
  std::vector<ActorTrack> tracks;
  for (const std::string& k : keys) {
    ActorTrack t = read_instance(k, info.at(k), l, file_exists(frames_path) ? &listed : nullptr, info_path);
    for (const ActorTrack& other : tracks)
      if (other.id == t.id) throw InputError(info_path, "two instances with id " + t.id);
    if (!t.time_indices.empty()) tracks.push_back(std::move(t));
  }
  return tracks;
}

// Frames from ego_pose/, cameras from extrinsics/, and the recentring offset from the first ego pose.
Layout read_layout(const std::string& root, Vec3& world_offset) {
  Layout l;
  l.root = root;
  l.frames = numbered_files(join_path(root, "ego_pose"), ".txt");
  l.cameras = numbered_files(join_path(root, "extrinsics"), ".txt");
  if (l.frames.empty()) throw InputError(join_path(root, "ego_pose"), "no ego poses (<frame>.txt)");
  if (l.cameras.empty()) throw InputError(join_path(root, "extrinsics"), "no camera extrinsics (<camera>.txt)");
  l.mask_dirs = mask_dirs(root);
  const Vec3 first =
      read_pose_file(join_path(root, "ego_pose/" + drivestudio_frame_name(l.frames[0]) + ".txt")).translation;
  world_offset = {0, 0, 0};
  if (norm(first) > kFarFromOrigin) world_offset = {std::round(first[0]), std::round(first[1]), std::round(first[2])};
  l.shift.translation = -1.0 * world_offset;
  return l;
}

}  // namespace

bool is_drivestudio_scene(const std::string& path) {
  return is_directory(join_path(path, "ego_pose")) && is_directory(join_path(path, "extrinsics"));
}

DatasetSource read_drivestudio_source(const std::string& path) {
  if (!is_drivestudio_scene(path))
    throw InputError(path, "not a drivestudio scene (no ego_pose/ and extrinsics/ folders)");
  DatasetSource src;
  const Layout l = read_layout(path, src.world_offset);
  src.root = path;
  src.format = "drivestudio";
  src.meta_path = path;
  src.rig = read_rig(l);
  src.frames = read_frames(l, *src.rig);
  src.num_listed = src.frames.size();
  for (int t : l.frames) src.timestamps.push_back(frame_time(t));
  for (size_t k = 0; k < l.frames.size(); ++k) {
    const std::string file = join_path(path, "lidar/" + drivestudio_frame_name(l.frames[k]) + ".bin");
    if (file_exists(file))
      src.lidar.push_back(read_lidar_sweep(file, src.rig->vehicle_to_world[k], int(k), src.timestamps[k]));
  }
  src.actors = read_instances(l);
  src.masks_exclude_sky_and_actors = !src.frames.front().exclude_mask_paths.empty();
  PointCloud cloud;  // every LiDAR return, grey: seeds for `ttgs fit`
  for (const LidarSweep& s : src.lidar) cloud.positions.insert(cloud.positions.end(), s.points.begin(), s.points.end());
  cloud.colors.assign(cloud.positions.size(), 0.5f);
  if (cloud.size() > 0) src.points = std::move(cloud);
  return src;
}

Mat3 opencv_to_waymo_camera() { return Mat3{{{0, 0, 1}, {-1, 0, 0}, {0, -1, 0}}}; }

std::string drivestudio_frame_name(int frame) {
  char s[24];
  std::snprintf(s, sizeof s, "%03d", frame);
  return s;
}

std::string drivestudio_image_stem(int frame, int camera) {
  return drivestudio_frame_name(frame) + "_" + std::to_string(camera);
}

std::string drivestudio_matrix_text(const Mat4& m) {
  std::string out;
  char s[32];
  for (const auto& row : m)
    for (size_t c = 0; c < 4; ++c) {
      std::snprintf(s, sizeof s, "%.18e", row[c]);
      out += s;
      out += c == 3 ? '\n' : ' ';
    }
  return out;
}

std::string drivestudio_numbers_text(const std::vector<double>& values) {
  std::string out;
  char s[32];
  for (double v : values) {
    std::snprintf(s, sizeof s, "%.18e\n", v);
    out += s;
  }
  return out;
}

}  // namespace ttgs::io
