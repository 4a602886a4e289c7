#include "io/dgp.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/log.hpp"
#include "io/dgp_fields.hpp"
#include "io/file_util.hpp"
#include "io/image_io.hpp"
#include "io/npz.hpp"

namespace ttgs::io {
namespace {
using json = nlohmann::json;
using namespace dgp;

constexpr const char* kBoxes3d = "1";  // dgp.proto.AnnotationType BOUNDING_BOX_3D: key of `annotations` maps
// Timestamps after 2200 cannot be real recording times: the log wrote 100 ns ticks (DDAD's 17-digit file names)
// where the schema wants microseconds, which stretches time tenfold.
constexpr int64_t kYear2200 = 7258118400;

bool is_scene_name(const std::string& file) {
  return file.size() > 11 && file.compare(0, 6, "scene_") == 0 && file.compare(file.size() - 5, 5, ".json") == 0;
}

std::string find_scene_json(const std::string& path) {
  namespace fs = std::filesystem;
  if (!is_directory(path)) return path;
  std::vector<std::string> found;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(path, ec))
    if (is_scene_name(e.path().filename().string())) found.push_back(e.path().string());
  if (found.size() != 1)
    throw InputError(path, found.empty()
                               ? "no scene_*.json in the folder"
                               : "holds " + std::to_string(found.size()) + " scene_*.json files; pass one of them");
  return found.front();
}

struct Calibration {
  std::map<std::string, Pose> extrinsics;  // sensor to vehicle
  std::map<std::string, json> intrinsics;
  std::string path;
};

Calibration read_calibration(const std::string& path) {
  const json c = parse_json_file(path);
  Calibration cal;
  cal.path = path;
  const json& names = array_field(c, "names", "", path);
  const json& ext = array_field(c, "extrinsics", "", path);
  const json& in = array_field(c, "intrinsics", "", path);
  if (ext.size() != names.size() || in.size() != names.size())
    throw InputError(path, "'names', 'extrinsics' and 'intrinsics' must have the same length");
  for (size_t i = 0; i < names.size(); ++i) {
    if (!names[i].is_string()) throw InputError(path, "'names' must hold strings");
    const std::string name = names[i].get<std::string>();
    cal.extrinsics[name] = read_pose(ext[i], "extrinsics of " + name + ": ", path);
    cal.intrinsics[name] = in[i];
  }
  return cal;
}

// Pinhole intrinsics and OpenCV distortion of a CameraIntrinsics message (dgp/proto/geometry.proto).
void apply_intrinsics(const json& in, FrameSource& f, const std::string& where, const std::string& path) {
  Camera& c = f.camera;
  c.fx = number(in, "fx", where, path);
  c.fy = number(in, "fy", where, path);
  c.cx = number(in, "cx", where, path);
  c.cy = number(in, "cy", where, path);
  if (!(c.fx > 0 && c.fy > 0)) throw InputError(path, where + "focal lengths fx, fy must be positive");
  if (std::abs(number(in, "skew", where, path)) > 1e-9)
    throw InputError(path, where + "skewed pixels are not supported");
  if (number(in, "fisheye", where, path) != 0 || number(in, "equirectangular", where, path) != 0)
    throw InputError(path, where + "fisheye and equirectangular cameras are not supported");
  Distortion& d = f.distortion;
  d.k1 = number(in, "k1", where, path);
  d.k2 = number(in, "k2", where, path);
  d.k3 = number(in, "k3", where, path);
  d.k5 = number(in, "k4", where, path);  // OpenCV's k4..k6 divide (the rational model): our k5..k7
  d.k6 = number(in, "k5", where, path);
  d.k7 = number(in, "k6", where, path);
  d.p1 = number(in, "p1", where, path);
  d.p2 = number(in, "p2", where, path);
  f.camera_model = d.is_zero() ? "PINHOLE" : "FULL_OPENCV";
}

// Column indices of x, y, z and intensity (-1 when absent) of a point cloud datum's array.
std::array<int, 4> point_columns(const json& pc, size_t columns, const std::string& file) {
  static const char* kChannels[] = {"X",        "Y",        "Z",           "INTENSITY", "R",
                                    "G",        "B",        "RING",        "NORMAL_X",  "NORMAL_Y",
                                    "NORMAL_Z", "CLASS_ID", "INSTANCE_ID", "TIMESTAMP"};
  std::vector<std::string> names;
  for (const char* key : {"point_format", "point_fields"}) {
    if (!names.empty() || !pc.contains(key) || !pc.at(key).is_array()) continue;
    for (const json& v : pc.at(key)) {
      if (v.is_number_integer() && v.get<int64_t>() >= 0 && v.get<int64_t>() < 14)
        names.push_back(kChannels[v.get<int>()]);
      else if (v.is_string())
        names.push_back(v.get<std::string>());
      else
        throw InputError(file, std::string("the datum's '") + key + "' holds an unknown channel");
    }
  }
  if (names.empty()) names = {"X", "Y", "Z", "INTENSITY"};
  if (names.size() != columns && !(columns == 3 && names.size() == 4 && names[3] == "INTENSITY"))
    throw InputError(file, "holds " + std::to_string(columns) + " columns but the datum names " +
                               std::to_string(names.size()) + " channels");
  std::array<int, 4> at{-1, -1, -1, -1};
  for (size_t i = 0; i < names.size() && i < columns; ++i)
    for (int k = 0; k < 4; ++k)
      if (names[i] == kChannels[k]) at[size_t(k)] = int(i);
  if (at[0] < 0 || at[1] < 0 || at[2] < 0) throw InputError(file, "the datum names no X, Y and Z channels");
  return at;
}

class SceneReader {
 public:
  explicit SceneReader(std::string scene_path);
  SceneReader(const SceneReader&) = delete;  // data_ points into doc_
  SceneReader& operator=(const SceneReader&) = delete;
  DatasetSource read();

 private:
  const Calibration& calibration(const json& sample, const std::string& where);
  std::vector<const json*> datums_of(const json& sample, const std::string& where) const;
  Pose vehicle_pose(const std::vector<const json*>& datums, const Calibration& cal, const std::string& where) const;
  void read_sample(int k, const json& sample, double time);
  void add_frame(const json& image, const std::string& name, const Calibration& cal, double time,
                 const std::string& where);
  void add_sweep(const json& pc, int k, double time, const std::string& where);
  void add_boxes(const json& pc, int k, const std::string& where);

  std::string path_, root_;
  json doc_;
  std::map<std::string, const json*> data_;
  std::map<std::string, Calibration> calibrations_;
  std::map<int, std::string> classes_;
  Pose shift_;  // recentring: dataset world -> our world
  DatasetSource src_;
  std::map<std::string, size_t> track_of_;
  std::vector<Vec3> size_sums_;
};

SceneReader::SceneReader(std::string scene_path) : path_(std::move(scene_path)), root_(parent_path(path_)) {
  doc_ = parse_json_file(path_);
  if (!doc_.is_object()) throw InputError(path_, "expected a JSON object at the top level");
  for (const json& d : array_field(doc_, "data", "", path_)) {
    const std::string key = text(d, "key", "datum: ", path_);
    if (key.empty()) throw InputError(path_, "a datum has no 'key'");
    if (!data_.emplace(key, &d).second) throw InputError(path_, "two datums with key " + key);
  }
}

const Calibration& SceneReader::calibration(const json& sample, const std::string& where) {
  const std::string key = text(sample, "calibration_key", where, path_);
  if (key.empty()) throw InputError(path_, where + "no 'calibration_key'");
  auto it = calibrations_.find(key);
  if (it == calibrations_.end())
    it = calibrations_.emplace(key, read_calibration(join_path(root_, "calibration/" + key + ".json"))).first;
  return it->second;
}

std::vector<const json*> SceneReader::datums_of(const json& sample, const std::string& where) const {
  std::vector<const json*> out;
  for (const json& k : array_field(sample, "datum_keys", where.c_str(), path_)) {
    const auto it = k.is_string() ? data_.find(k.get<std::string>()) : data_.end();
    if (it == data_.end()) throw InputError(path_, where + "names a datum key that 'data' does not hold: " + k.dump());
    out.push_back(it->second);
  }
  return out;
}

// Vehicle to dataset world: the first point cloud's (else the first image's) pose ∘ its extrinsic⁻¹.
Pose SceneReader::vehicle_pose(const std::vector<const json*>& datums, const Calibration& cal,
                               const std::string& where) const {
  const json* ref = nullptr;
  for (const char* kind : {"point_cloud", "image"})
    for (const json* d : datums)
      if (!ref && payload(*d, kind)) ref = d;
  if (!ref) throw InputError(path_, where + "holds neither an image nor a point cloud datum");
  const std::string name = datum_name(*ref, where, path_);
  const auto ext = cal.extrinsics.find(name);
  if (ext == cal.extrinsics.end()) throw InputError(cal.path, "no extrinsics for sensor " + name);
  const json* p = payload(*ref, "point_cloud") ? payload(*ref, "point_cloud") : payload(*ref, "image");
  return read_pose(pose_object(*p, where, path_), where + name + ": ", path_).compose(ext->second.inverse());
}

void SceneReader::add_frame(const json& image, const std::string& name, const Calibration& cal, double time,
                            const std::string& where) {
  FrameSource f;
  f.name = text(image, "filename", where, path_);
  if (f.name.empty()) throw InputError(path_, where + name + ": image datum has no 'filename'");
  f.image_path = join_path(root_, f.name);
  if (!file_exists(f.image_path))
    throw InputError(f.image_path,
                     "missing image (listed by " + std::filesystem::path(path_).filename().string() + ")");
  const auto in = cal.intrinsics.find(name);
  if (in == cal.intrinsics.end()) throw InputError(cal.path, "no intrinsics for camera " + name);
  apply_intrinsics(in->second, f, "intrinsics of " + name + ": ", cal.path);
  f.camera.width = int(integer(image, "width", where, path_, 0, 100000));
  f.camera.height = int(integer(image, "height", where, path_, 0, 100000));
  if (f.camera.width <= 0 || f.camera.height <= 0) {  // not given: the image header's
    const DecodedImage d = read_image(f.image_path);
    f.camera.width = d.color.width;
    f.camera.height = d.color.height;
  }
  const Pose pose = shift_.compose(read_pose(pose_object(image, where, path_), where + name + ": ", path_));
  f.camera.set_camera_to_world_opencv(pose.matrix());
  f.time = time;
  f.sensor = name;
  src_.frames.push_back(f);
  Rig& rig = *src_.rig;
  const auto ext_it = cal.extrinsics.find(name);
  if (ext_it == cal.extrinsics.end()) throw InputError(cal.path, "no extrinsics for camera " + name);
  const Pose& ext = ext_it->second;
  const auto it = std::find(rig.sensors.begin(), rig.sensors.end(), name);
  if (it == rig.sensors.end()) {
    rig.sensors.push_back(name);
    rig.sensor_to_vehicle.push_back(ext);
  } else if (!same_pose(rig.sensor_to_vehicle[size_t(it - rig.sensors.begin())], ext)) {
    throw InputError(cal.path, "the extrinsics of " + name + " change within the scene (the rig needs them fixed)");
  }
}

void SceneReader::add_sweep(const json& pc, int k, double time, const std::string& where) {
  const std::string file = join_path(root_, text(pc, "filename", where, path_));
  if (lower_extension(file) != ".npz") throw InputError(file, "only .npz point clouds are supported");
  const NpyArray a = read_npz_array(file, "data");
  if (a.shape.size() != 2) throw InputError(file, "expected an N x C array of points under 'data'");
  const std::array<int, 4> col = point_columns(pc, a.columns(), file);
  const Pose to_world = shift_.compose(read_pose(pose_object(pc, where, path_), where, path_));
  LidarSweep s;
  s.time_index = k;
  s.time = time;
  s.origin = to_world.translation;
  const size_t c = a.columns();
  for (size_t i = 0; i < a.rows(); ++i) {
    const double* row = a.values.data() + i * c;
    const Vec3 p = to_world.apply({row[col[0]], row[col[1]], row[col[2]]});
    if (!std::isfinite(p[0] + p[1] + p[2]))
      throw InputError(file, "point " + std::to_string(i) + " is NaN or infinite");
    for (double v : p) s.points.push_back(float(v));
    if (col[3] >= 0) s.intensity.push_back(float(row[col[3]]));
  }
  src_.lidar.push_back(std::move(s));
}

void SceneReader::add_boxes(const json& pc, int k, const std::string& where) {
  const json& ann = pc.contains("annotations") ? pc.at("annotations") : json::object();
  if (!ann.is_object() || !ann.contains(kBoxes3d)) return;
  const std::string file = join_path(root_, text(ann, kBoxes3d, where, path_));
  const Pose to_world = shift_.compose(read_pose(pose_object(pc, where, path_), where, path_));
  std::vector<std::string> seen;
  for (const DgpBox& b : read_dgp_boxes(file, classes_)) {
    const std::string id = b.instance_id.empty() || b.instance_id == "0"
                               ? "sample" + std::to_string(k) + "_box" + std::to_string(seen.size())
                               : b.instance_id;
    if (std::find(seen.begin(), seen.end(), id) != seen.end())
      throw InputError(file, "two boxes with instance_id " + id);
    seen.push_back(id);
    auto [it, added] = track_of_.emplace(id, src_.actors.size());
    if (added) {
      src_.actors.push_back(ActorTrack{id, b.label, {0, 0, 0}, {}, {}});
      size_sums_.push_back({0, 0, 0});
    }
    ActorTrack& t = src_.actors[it->second];
    t.time_indices.push_back(k);
    t.object_to_world.push_back(to_world.compose(b.box_to_sensor));
    size_sums_[it->second] = size_sums_[it->second] + b.size;
  }
}

void SceneReader::read_sample(int k, const json& sample, double time) {
  const std::string where = "sample " + std::to_string(k) + ": ";
  const Calibration& cal = calibration(sample, where);
  const std::vector<const json*> datums = datums_of(sample, where);
  src_.timestamps.push_back(time);
  src_.rig->vehicle_to_world.push_back(shift_.compose(vehicle_pose(datums, cal, where)));
  bool boxes_read = false;  // boxes of the first point cloud only: several LiDARs annotate the same instances
  for (const json* d : datums) {
    const std::string name = datum_name(*d, where, path_);
    if (const json* image = payload(*d, "image")) add_frame(*image, name, cal, time, where);
    if (const json* pc = payload(*d, "point_cloud")) {
      add_sweep(*pc, k, time, where + name + ": ");
      if (!boxes_read) add_boxes(*pc, k, where + name + ": ");
      boxes_read = true;
    }
  }
}

DatasetSource SceneReader::read() {
  const json& samples = array_field(doc_, "samples", "", path_);
  if (samples.empty()) throw InputError(path_, "the scene has no samples");
  std::vector<Stamp> stamps;
  for (size_t i = 0; i < samples.size(); ++i)
    stamps.push_back(sample_stamp(samples[i], "sample " + std::to_string(i) + ": ", path_));
  std::vector<size_t> order(samples.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return stamps[a] < stamps[b]; });
  const Stamp t0 = stamps[order.front()];
  const double scale = t0.sec > kYear2200 ? 0.1 : 1.0;
  if (scale != 1.0) note_once(path_ + ": timestamps lie after 2200: read as 100 ns ticks (10x shorter intervals)");
  if (doc_.contains("ontologies") && doc_.at("ontologies").is_object() && doc_.at("ontologies").contains(kBoxes3d))
    classes_ =
        read_dgp_ontology(join_path(root_, "ontology/" + text(doc_.at("ontologies"), kBoxes3d, "", path_) + ".json"));
  // Recentre on the first ego position, rounded to metres, so that float32 keeps sub-millimetre precision.
  const json& first = samples[order.front()];
  const Vec3 v0 =
      vehicle_pose(datums_of(first, "sample 0: "), calibration(first, "sample 0: "), "sample 0: ").translation;
  src_.world_offset = {std::round(v0[0]), std::round(v0[1]), std::round(v0[2])};
  shift_.translation = -1.0 * src_.world_offset;
  src_.root = root_;
  src_.format = "dgp";
  src_.meta_path = path_;
  src_.rig = Rig{};
  for (size_t i = 0; i < order.size(); ++i) {
    const Stamp& s = stamps[order[i]];
    if (i > 0 && !(stamps[order[i - 1]] < s))
      throw InputError(path_, "two samples share the timestamp of sample " + std::to_string(i));
    const double time = scale * (double(s.sec - t0.sec) + 1e-9 * double(s.nanos - t0.nanos));
    read_sample(int(i), samples[order[i]], time);
  }
  if (src_.frames.empty()) throw InputError(path_, "the scene holds no camera image");
  src_.num_listed = src_.frames.size();
  for (size_t i = 0; i < src_.actors.size(); ++i)
    src_.actors[i].size = (1.0 / double(src_.actors[i].time_indices.size())) * size_sums_[i];
  PointCloud cloud;  // every LiDAR return, grey: seeds for `ttgs fit`
  for (const LidarSweep& s : src_.lidar)
    cloud.positions.insert(cloud.positions.end(), s.points.begin(), s.points.end());
  cloud.colors.assign(cloud.positions.size(), 0.5f);
  if (cloud.size() > 0) src_.points = std::move(cloud);
  return std::move(src_);
}

}  // namespace

bool is_dgp_scene(const std::string& path) {
  namespace fs = std::filesystem;
  if (!is_directory(path)) return file_exists(path) && is_scene_name(fs::path(path).filename().string());
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(path, ec))
    if (is_scene_name(e.path().filename().string())) return true;
  return false;
}

DatasetSource read_dgp_source(const std::string& path) {
  if (!file_exists(path) && !is_directory(path)) throw InputError(path, "no such file or folder");
  return SceneReader(find_scene_json(path)).read();
}

}  // namespace ttgs::io
