#include "view/source.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/error.hpp"
#include "io/actors_json.hpp"
#include "io/file_util.hpp"
#include "io/image_io.hpp"
#include "io/json_fields.hpp"
#include "io/ply.hpp"
#include "io/splat_formats.hpp"
#include "io/transforms_json.hpp"
#include "model/scene_files.hpp"
#include "model/tensor_image.hpp"

namespace ttgs::view {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

json read_json(const std::string& path) {
  try {
    return json::parse(io::read_file(path));
  } catch (const json::exception& e) {
    throw InputError(path, std::string("not valid JSON: ") + e.what());
  }
}

std::string url_name(const std::string& rel) {
  std::string s = rel;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' && c != '/') c = '_';
  return "/data/" + s;
}

// The splat file as the page's renderer (Spark) reads it: the file itself, or glTF converted to PLY in memory.
json add_splat_file(ViewSource& v, const std::string& file, const std::string& rel, const std::string& part) {
  std::string url = url_name(rel);
  if (io::splat_file_format(file) == io::SplatFileFormat::Glb) {
    url = url_name(fs::path(rel).replace_extension(".ply").string());
    v.files[url] = {"", io::encode_splat_ply(io::read_splats(file)), "application/octet-stream"};
  } else {
    v.files[url] = {file, "", "application/octet-stream"};
  }
  return json{{"name", rel}, {"url", url}, {"part", part}};
}

// Cameras from cameras.json by frame name (the run's own, refined ones after `ttgs refine`).
std::map<std::string, Camera> run_cameras(const std::string& dir) {
  std::map<std::string, Camera> out;
  const std::string path = io::join_path(dir, "cameras.json");
  if (dir.empty() || !io::file_exists(path)) return out;
  const json j = read_json(path);
  try {
    for (const json& f : j.at("frames")) {
      Camera c;
      c.fx = f.at("fl_x"), c.fy = f.at("fl_y"), c.cx = f.at("cx"), c.cy = f.at("cy");
      c.width = f.at("w"), c.height = f.at("h");
      c.set_camera_to_world_opengl(io::matrix4_field(f, "transform_matrix", "", path));
      out[f.at("file_path").get<std::string>()] = c;
    }
  } catch (const json::exception& e) {
    throw InputError(path, std::string("not a cameras.json as ttgs writes it: ") + e.what());
  }
  return out;
}

// The downscale factor that makes the dataset's images the size of the run's cameras (1 when unknown).
int matching_downscale(const std::string& data, const std::map<std::string, Camera>& cameras) {
  if (cameras.empty()) return 1;
  const io::DatasetSource source = io::read_dataset_source(data);
  for (const io::FrameSource& f : source.frames) {
    const auto it = cameras.find(f.name);
    if (it == cameras.end() || it->second.width <= 0) continue;
    return std::max(1, int(std::lround(double(f.camera.width) / it->second.width)));
  }
  return 1;
}

void load_dataset(ViewSource& v, const std::string& data, const SourceOptions& o, const std::string& dir) {
  const std::map<std::string, Camera> cameras = run_cameras(dir);
  io::LoadOptions load = o.load;
  load.require_training_frames = false;
  if (load.downscale == 0) load.downscale = matching_downscale(data, cameras);
  io::Dataset ds = io::load_dataset(data, load);
  for (io::Frame& f : ds.frames) {
    const auto it = cameras.find(f.name);
    if (it != cameras.end() && it->second.width == f.camera.width && it->second.height == f.camera.height)
      f.camera = it->second;
  }
  v.dataset = std::move(ds);
}

json camera_entry(const io::Frame& f, bool test) {
  std::vector<double> c2w;
  for (const auto& row : io::matrix_rows(f.camera.camera_to_world_opengl())) c2w.insert(c2w.end(), row.begin(), row.end());
  return json{{"name", f.name}, {"split", test ? "test" : "train"}, {"width", f.camera.width},
              {"height", f.camera.height}, {"fx", f.camera.fx}, {"fy", f.camera.fy}, {"cx", f.camera.cx},
              {"cy", f.camera.cy}, {"c2w", c2w}, {"time_index", f.time_index}, {"sensor", f.sensor}, {"photo", io::has_pixels(f)}};
}

// Centre (median of the static Gaussians' centres) and radius (80th percentile of their distance to it).
void add_bounds(json& m, const model::Gaussians& g, const std::optional<io::Dataset>& ds) {
  at::Tensor means = g.means.detach();
  if (g.part.defined()) means = means.index({g.part < 0});
  std::array<double, 3> centre{0, 0, 0};
  double radius = 1;
  if (means.size(0) > 0) {
    const at::Tensor c = std::get<0>(means.median(0));
    for (int k = 0; k < 3; ++k) centre[size_t(k)] = c[k].item<double>();
    const at::Tensor d = (means - c).norm(2, {1});
    radius = std::max(1e-3, at::quantile(d.to(at::kDouble), 0.8).item<double>());
  }
  m["scene_centre"] = centre;
  m["scene_radius"] = radius;
  Vec3 eye{centre[0] + 2.5 * radius, centre[1], centre[2] + radius}, up{0, 0, 1};
  if (ds && !ds->frames.empty()) {
    const Camera& c = ds->frames[ds->train.empty() ? 0 : ds->train[0]].camera;
    const Vec3 from = c.center();  // the first training camera's view, from a step behind it (its frustum in sight)
    for (size_t k = 0; k < 3; ++k) eye[k] = centre[k] + 1.5 * (from[k] - centre[k]);
    up = {-c.R[1][0], -c.R[1][1], -c.R[1][2]};
  }
  m["initial_view"] = {{"eye", {eye[0], eye[1], eye[2]}}, {"up", {up[0], up[1], up[2]}}};
}

std::string environment_png(const model::EnvironmentMap& env) {
  return io::encode_png(model::from_tensor(at::sigmoid(env.logits.detach())), 8, "environment map");
}

// Static part, each actor (its Gaussians in its box frame, its object-to-world pose per timestamp) and the sky.
void add_scene_folder(ViewSource& v, json& m, const std::string& scene_json, const model::LoadedScene& loaded) {
  const std::string dir = io::parent_path(scene_json);
  const json j = read_json(scene_json);
  m["splats"].push_back(add_splat_file(v, io::join_path(dir, j.at("static")), j.at("static"), "static"));
  for (const json& a : j.at("actors")) {
    const std::string id = a.at("id"), rel = a.at("ply");
    json entry = add_splat_file(v, io::join_path(dir, rel), rel, "actor");
    const auto track = std::find_if(loaded.tracks.begin(), loaded.tracks.end(), [&](const io::ActorTrack& t) { return t.id == id; });
    if (track == loaded.tracks.end()) throw InputError(scene_json, "actor " + id + " has no track");
    json poses = json::array();
    for (size_t t = 0; t < loaded.timestamps.size(); ++t) {
      const std::optional<Pose> p = track->pose_at(int(t));
      if (!p) { poses.push_back(nullptr); continue; }
      std::vector<double> flat;
      for (const auto& row : io::matrix_rows(p->matrix())) flat.insert(flat.end(), row.begin(), row.end());
      poses.push_back(flat);
    }
    entry["id"] = id;
    entry["label"] = track->label;
    entry["size"] = {track->size[0], track->size[1], track->size[2]};
    entry["poses"] = poses;
    m["splats"].push_back(entry);
  }
  m["timestamps"] = loaded.timestamps;
  if (loaded.scene.environment.defined()) {
    v.files["/data/environment.png"] = {"", environment_png(loaded.scene.environment), "image/png"};
    const at::Tensor f = loaded.scene.environment.frame.contiguous();
    m["environment"] = {{"url", "/data/environment.png"},
                        {"frame", std::vector<float>(f.data_ptr<float>(), f.data_ptr<float>() + 9)}};
  }
}

// The dataset a report names, as given (relative to where the run started) or relative to the output folder or one
// of its parents (the run may have started there); empty with a note when none exists.
std::string find_named_dataset(const std::string& named, const std::string& dir) {
  std::error_code ec;
  if (fs::exists(named, ec)) return named;
  if (fs::path(named).is_relative())
    for (fs::path base = fs::absolute(dir, ec); !base.empty(); base = base.parent_path()) {
      if (fs::exists(base / named, ec)) return (base / named).string();
      if (base == base.parent_path()) break;
    }
  std::fprintf(stderr, "ttgs view: the dataset report.json names (%s) was not found; --data D shows its cameras\n",
               named.c_str());
  return "";
}

}  // namespace

ViewSource open_source(const std::string& path, const SourceOptions& o) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(path, "no such file or folder");
  ViewSource v;
  v.path = path;
  std::string dir, scene_json, splat_path;
  if (io::is_directory(path)) {
    dir = path;
    if (io::file_exists(io::join_path(dir, "scene.json"))) scene_json = io::join_path(dir, "scene.json");
    else if (io::file_exists(io::join_path(dir, "scene.ply"))) splat_path = io::join_path(dir, "scene.ply");
    else throw InputError(path, "not a scene folder (scene.json) or an output folder of fit, refine or reconstruct (scene.ply)");
  } else if (fs::path(path).filename() == "scene.json") {
    dir = io::parent_path(path);
    scene_json = path;
  } else if (io::is_splat_file(path)) {
    splat_path = path;
  } else {
    throw InputError(path, std::string("not a splat file (") + io::splat_file_kinds() + ") or a scene.json");
  }
  if (!dir.empty() && io::file_exists(io::join_path(dir, "report.json"))) v.report_path = io::join_path(dir, "report.json");
  if (!dir.empty() && io::file_exists(io::join_path(dir, "ablation.json"))) v.ablation_path = io::join_path(dir, "ablation.json");
  v.kind = !v.report_path.empty() ? "output" : !scene_json.empty() ? "scene" : "splats";
  std::string data = o.data;
  if (data.empty() && !v.report_path.empty()) {
    const json report = read_json(v.report_path);
    if (report.contains("data") && report["data"].is_string()) data = find_named_dataset(report["data"], dir);
  }
  if (!data.empty()) load_dataset(v, data, o, dir);
  json m{{"path", path}, {"kind", v.kind}, {"splats", json::array()}, {"timestamps", {0.0}}, {"environment", nullptr},
         {"data", data}, {"report", !v.report_path.empty()}, {"ablation", !v.ablation_path.empty()}};
  if (!scene_json.empty()) {
    const model::LoadedScene loaded = model::read_scene_folder(scene_json);
    v.scene = v.dataset ? model::scene_for_dataset(loaded, *v.dataset) : loaded.scene;
    add_scene_folder(v, m, scene_json, loaded);
  } else {
    v.scene = model::static_scene(model::from_splat_data(io::read_splats(splat_path)));
    m["splats"].push_back(add_splat_file(v, splat_path, fs::path(splat_path).filename().string(), "static"));
  }
  m["num_gaussians"] = v.scene.gaussians.size();
  json cameras = json::array();
  if (v.dataset) {
    const io::Dataset& ds = *v.dataset;
    const std::vector<double> times = m["timestamps"].get<std::vector<double>>();
    for (size_t i = 0; i < ds.frames.size(); ++i) {
      json c = camera_entry(ds.frames[i], std::find(ds.test.begin(), ds.test.end(), i) != ds.test.end());
      c["time_index"] = io::nearest_timestamp(times, ds.frames[i].time);  // the slider runs over the scene's
      cameras.push_back(c);
    }
  }
  m["cameras"] = cameras;
  add_bounds(m, v.scene.gaussians, v.dataset);
  v.manifest = std::move(m);
  return v;
}

}  // namespace ttgs::view
