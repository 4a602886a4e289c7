#include "io/info.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/splat_data.hpp"
#include "io/file_util.hpp"
#include "io/ply.hpp"
#include "io/splat_formats.hpp"

namespace ttgs::io {
namespace {
using json = nlohmann::json;

std::string to_text(const json& j) {
  std::ostringstream s;
  for (const auto& [k, v] : j.items()) s << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
  return s.str();
}
}  // namespace

namespace {
// Length of the vehicle's path: its ego poses when there is a rig, else the centres of the first camera's frames
// in time order (one per timestamp).
double ego_path_length(const Dataset& ds) {
  std::vector<Vec3> path;
  if (ds.rig) {
    for (const Pose& p : ds.rig->vehicle_to_world) path.push_back(p.translation);
  } else {
    std::vector<std::pair<int, Vec3>> centres;
    for (const Frame& f : ds.frames)
      if (f.sensor_index == 0) centres.push_back({f.time_index, f.camera.center()});
    std::sort(centres.begin(), centres.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (size_t i = 0; i < centres.size(); ++i)
      if (i == 0 || centres[i].first != centres[i - 1].first) path.push_back(centres[i].second);
  }
  double length = 0;
  for (size_t i = 1; i < path.size(); ++i) length += norm(path[i] - path[i - 1]);
  return length;
}
}  // namespace

InfoReport dataset_info(const std::string& path, const LoadOptions& options) {
  LoadOptions o = options;
  o.load_pixels = false;
  const Dataset ds = load_dataset(path, o);
  json j;
  j["kind"] = "dataset";
  j["path"] = ds.path;
  j["format"] = ds.format;
  j["num_images"] = ds.frames.size();
  j["num_missing"] = ds.num_missing;
  j["num_points"] = ds.points ? ds.points->size() : 0;
  j["width"] = ds.frames.front().camera.width;
  j["height"] = ds.frames.front().camera.height;
  j["camera_model"] = ds.camera_model;
  j["has_distortion"] = ds.has_distortion;
  j["num_train"] = ds.train.size();
  j["num_test"] = ds.test.size();
  j["downscale"] = options.downscale;
  const Camera& c = ds.frames.front().camera;
  j["fx"] = c.fx;
  j["fy"] = c.fy;
  j["cx"] = c.cx;
  j["cy"] = c.cy;
  j["num_timestamps"] = ds.timestamps.size();
  j["num_cameras"] = ds.sensors.size();
  j["cameras"] = ds.sensors;
  j["num_actors"] = ds.actors.size();
  size_t lidar_points = 0;
  for (const LidarSweep& s : ds.lidar) lidar_points += s.size();
  j["num_lidar_sweeps"] = ds.lidar.size();
  j["num_lidar_points"] = lidar_points;
  j["time_span_s"] = ds.timestamps.back() - ds.timestamps.front();
  j["ego_path_length"] = ego_path_length(ds);
  return {j.dump(), to_text(j)};
}

InfoReport ply_info(const std::string& path) {
  json j;
  j["path"] = path;
  const std::string bytes = read_file(path);
  const SplatFileFormat format = splat_format_of(bytes, path);
  const bool plain_ply = format == SplatFileFormat::Ply;
  const PlyVertexTable table = plain_ply ? parse_ply_vertices(bytes, path) : PlyVertexTable{};
  if (plain_ply && !is_splat_ply(table)) {
    const PointCloud pc = point_cloud_from_table(table, path);
    j["kind"] = "point_cloud";
    j["num_points"] = pc.size();
    j["has_colors"] = pc.has_colors();
    return {j.dump(), to_text(j)};
  }
  const SplatData s = plain_ply ? splat_data_from_table(table, path) : parse_splats(bytes, path);
  const SplatStats st = compute_stats(s);
  j["kind"] = "gaussians";
  j["format"] = splat_format_name(format);
  j["num_gaussians"] = st.count;
  j["sh_degree"] = st.sh_degree;
  j["bounds"] = {{"min", {st.bounds_min[0], st.bounds_min[1], st.bounds_min[2]}},
                 {"max", {st.bounds_max[0], st.bounds_max[1], st.bounds_max[2]}}};
  j["opacity"] = {{"min", st.opacity_min}, {"mean", st.opacity_mean}, {"max", st.opacity_max}};
  j["scale"] = {{"min", st.scale_min}, {"median", st.scale_median}, {"max", st.scale_max}};
  return {j.dump(), to_text(j)};
}

InfoReport info(const std::string& path, const LoadOptions& options) {
  if (!is_directory(path) && is_splat_file(path)) return ply_info(path);
  return dataset_info(path, options);
}

}  // namespace ttgs::io
