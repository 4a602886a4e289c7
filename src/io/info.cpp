#include "io/info.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

#include "core/splat_data.hpp"
#include "io/file_util.hpp"
#include "io/ply.hpp"

namespace ttgs::io {
namespace {
using json = nlohmann::json;

std::string to_text(const json& j) {
  std::ostringstream s;
  for (const auto& [k, v] : j.items()) s << k << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
  return s.str();
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
  return {j.dump(), to_text(j)};
}

InfoReport ply_info(const std::string& path) {
  const PlyVertexTable table = parse_ply_vertices(read_file(path), path);
  json j;
  j["path"] = path;
  if (!is_splat_ply(table)) {
    const PointCloud pc = point_cloud_from_table(table, path);
    j["kind"] = "point_cloud";
    j["num_points"] = pc.size();
    j["has_colors"] = pc.has_colors();
    return {j.dump(), to_text(j)};
  }
  const SplatData s = splat_data_from_table(table, path);
  const SplatStats st = compute_stats(s);
  j["kind"] = "gaussians";
  j["num_gaussians"] = st.count;
  j["sh_degree"] = st.sh_degree;
  j["bounds"] = {{"min", {st.bounds_min[0], st.bounds_min[1], st.bounds_min[2]}},
                 {"max", {st.bounds_max[0], st.bounds_max[1], st.bounds_max[2]}}};
  j["opacity"] = {{"min", st.opacity_min}, {"mean", st.opacity_mean}, {"max", st.opacity_max}};
  j["scale"] = {{"min", st.scale_min}, {"median", st.scale_median}, {"max", st.scale_max}};
  return {j.dump(), to_text(j)};
}

InfoReport info(const std::string& path, const LoadOptions& options) {
  if (!is_directory(path) && lower_extension(path) == ".ply") return ply_info(path);
  return dataset_info(path, options);
}

}  // namespace ttgs::io
