#include "synth/writer.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "io/actors_json.hpp"
#include "io/file_util.hpp"
#include "io/image_io.hpp"
#include "io/npy.hpp"
#include "io/ply.hpp"
#include "io/transforms_json.hpp"
#include "synth/drivestudio_writer.hpp"
#include "synth/lidar.hpp"
#include "synth/raytrace.hpp"
#include "synth/scaffold.hpp"

namespace ttgs::synth {
namespace {
namespace fs = std::filesystem;
using json = nlohmann::json;

json vec_json(const Vec3& v) { return {v[0], v[1], v[2]}; }

// Staging folder beside the target; replaced into place at the end.
void move_into_place(const std::string& staging, const std::string& out) {
  std::error_code ec;
  if (fs::exists(out, ec)) {
    const bool ours = fs::exists(fs::path(out) / "synth.json", ec);
    const bool empty = fs::is_directory(out, ec) && fs::is_empty(out, ec);
    if (!ours && !empty)
      throw InputError(out, "exists and is not an earlier `ttgs synth` output; choose another --out");
    const std::string old = out + ".old-" + std::to_string(::getpid());
    fs::rename(out, old);
    fs::rename(staging, out);
    fs::remove_all(old, ec);
  } else {
    fs::rename(staging, out);
  }
}
// The rig as transforms.json's "rig" block (see io/transforms_json.cpp).
json rig_json(const SynthRig& rig) {
  json sensors = json::array(), ego = json::array();
  for (size_t c = 0; c < rig.cameras.size(); ++c)
    sensors.push_back({{"name", rig.cameras[c]}, {"sensor_to_vehicle", io::matrix_rows(rig.camera_to_vehicle[c].matrix())}});
  for (size_t k = 0; k < rig.times.size(); ++k)
    ego.push_back({{"time", rig.times[k]}, {"transform_matrix", io::matrix_rows(rig.vehicle_to_world[k].matrix())}});
  return {{"sensors", sensors}, {"ego_poses", ego}};
}

// One LiDAR sweep per rig time, lidar/sweep_NNNN.npy (N x 4 float32: world x y z, intensity); the "lidar" list.
json write_lidar_sweeps(const SynthScene& ss, const std::string& staging) {
  fs::create_directories(fs::path(staging) / "lidar");
  json list = json::array();
  Progress progress("scanning lidar", int64_t(ss.rig->times.size()));
  for (size_t k = 0; k < ss.rig->times.size(); ++k) {
    const LidarScan scan = scan_lidar(ss.scene, ss.rig->times[k], ss.rig->vehicle_to_world[k]);
    const size_t n = scan.intensity.size();
    Image table(4, int(n), 1);
    for (size_t i = 0; i < n; ++i) {
      for (int c = 0; c < 3; ++c) table.at(c, int(i)) = scan.points[i * 3 + size_t(c)];
      table.at(3, int(i)) = scan.intensity[i];
    }
    char name[48];
    std::snprintf(name, sizeof name, "lidar/sweep_%04zu.npy", k);
    io::write_npy_float32((fs::path(staging) / name).string(), table);
    list.push_back({{"time", ss.rig->times[k]}, {"file_path", name}, {"origin", vec_json(scan.origin)}});
    progress.advance();
  }
  progress.finish();
  return list;
}
// The scene with the edits applied: a removed actor loses its primitives, a moved one gets its start pose composed
// with the edit's box-frame offset (so every later pose is too).
Scene edited_scene(const Scene& scene, const std::vector<io::ActorEdit>& edits) {
  Scene out = scene;
  for (const io::ActorEdit& e : edits) {
    const auto it = std::find_if(out.actors.begin(), out.actors.end(), [&](const Actor& a) { return a.name == e.id; });
    if (it == out.actors.end()) throw InputError("--edit", "no actor '" + e.id + "' in the scene");
    const int k = int(it - out.actors.begin());
    if (e.kind == io::ActorEdit::Kind::kRemove) {
      out.primitives.erase(std::remove_if(out.primitives.begin(), out.primitives.end(),
                                          [&](const Primitive& p) { return p.actor == k; }),
                           out.primitives.end());
    } else {
      it->start = it->start.compose(io::edit_offset(e));
    }
  }
  return out;
}

// The tracks of the (edited) scene at the views' times, for io::write_actors_json.
std::vector<io::ActorTrack> scene_tracks(const Scene& scene, const std::vector<double>& times,
                                         const std::vector<io::ActorEdit>& edits) {
  std::vector<io::ActorTrack> tracks;
  for (const Actor& a : scene.actors) {
    io::ActorTrack t;
    t.id = a.name;
    t.label = "car";
    t.size = a.box_size;
    for (size_t k = 0; k < times.size(); ++k) {
      t.time_indices.push_back(int(k));
      t.object_to_world.push_back(a.pose_at(times[k]));
    }
    tracks.push_back(t);
  }
  for (const io::ActorEdit& e : edits) tracks = io::apply_edit(tracks, e);
  return tracks;
}

// edited/: every view rendered again with the edits applied (same sensor effects), a transforms.json with the same
// cameras and split (no masks, depth or LiDAR: those describe the unedited scene) and the edited actors.json.
void write_edited_views(const SynthScene& ss, const SynthOptions& opt, const std::string& staging, json tj) {
  std::vector<io::ActorEdit> edits;
  for (const std::string& e : opt.edits) edits.push_back(io::parse_actor_edit(e));
  const Scene scene = edited_scene(ss.scene, edits);
  const fs::path dir = fs::path(staging) / "edited";
  fs::create_directories(dir / "images");
  RenderOptions ropt;
  ropt.supersample = opt.supersample;
  Progress progress("rendering edited views", int64_t(ss.views.size()));
  for (size_t v = 0; v < ss.views.size(); ++v) {
    const ViewSpec& view = ss.views[v];
    const RenderOutput r = render(scene, view.camera, view.time, ropt);
    io::write_png((dir / ("images/" + view.name + ".png")).string(), apply_sensor_effects(r.color, view.sensor, opt.seed, v));
    progress.advance();
  }
  progress.finish();
  for (json& f : tj["frames"])
    for (const char* key : {"mask_path", "depth_file_path", "depth_npy_path", "label_path"}) f.erase(key);
  tj.erase("lidar");
  tj.erase("masks_exclude");
  tj["ply_file_path"] = "../scaffold.ply";
  tj["edits"] = opt.edits;
  io::write_file_atomic((dir / "transforms.json").string(), tj.dump(2) + "\n");
  std::vector<double> times;
  for (const ViewSpec& view : ss.views) times.push_back(view.time);
  std::sort(times.begin(), times.end());
  times.erase(std::unique(times.begin(), times.end()), times.end());
  io::write_actors_json((dir / "actors.json").string(), scene_tracks(ss.scene, times, edits), times);
}

// images/, masks/, labels/ and depth/*.npy of every view; returns the depth maps for the 16-bit PNGs.
std::vector<Image> write_view_files(const SynthScene& ss, const SynthOptions& opt, const std::string& staging) {
  for (const char* sub : {"images", "masks", "labels", "depth"}) fs::create_directories(fs::path(staging) / sub);
  const auto path = [&](const std::string& rel) { return (fs::path(staging) / rel).string(); };
  RenderOptions ropt;
  ropt.supersample = opt.supersample;
  std::vector<Image> depths;
  Progress progress("rendering views", int64_t(ss.views.size()));
  for (size_t v = 0; v < ss.views.size(); ++v) {
    const ViewSpec& view = ss.views[v];
    const RenderOutput r = render(ss.scene, view.camera, view.time, ropt);
    const Image rgb = apply_sensor_effects(r.color, view.sensor, opt.seed, v);
    io::write_png(path("images/" + view.name + ".png"), rgb);
    Image mask(r.depth.width, r.depth.height, 1), label(r.depth.width, r.depth.height, 1);
    for (size_t i = 0; i < r.label.size(); ++i) {
      mask.data[i] = r.label[i] == kLabelStatic ? 1.f : 0.f;
      label.data[i] = float(r.label[i]) / 255.f;
    }
    io::write_png(path("masks/" + view.name + ".png"), mask);
    io::write_png(path("labels/" + view.name + ".png"), label);
    io::write_npy_float32(path("depth/" + view.name + ".npy"), r.depth);
    depths.push_back(r.depth);
    progress.advance();
  }
  progress.finish();
  return depths;
}

// depth/*.png with one depth unit for the whole dataset: millimetres when everything fits in 16 bits, coarser
// otherwise; returns the unit (metres).
double write_depth_pngs(const SynthScene& ss, const std::vector<Image>& depths, const std::string& staging) {
  double max_depth = 0;
  for (const Image& d : depths)
    for (float v : d.data) max_depth = std::max(max_depth, double(v));
  const double scale = std::max(1e-3, std::ceil(max_depth / 65535.0 * 1e4) / 1e4);
  for (size_t v = 0; v < ss.views.size(); ++v) {
    std::vector<uint16_t> units(depths[v].data.size());
    for (size_t i = 0; i < units.size(); ++i) {
      const double u = std::round(depths[v].data[i] / scale);
      units[i] = u > 65535 ? 0 : uint16_t(u);
    }
    io::write_png16_raw((fs::path(staging) / ("depth/" + ss.views[v].name + ".png")).string(), depths[v].width,
                        depths[v].height, units);
  }
  return scale;
}

// transforms.json without the LiDAR list.
json transforms_json(const SynthScene& ss, double depth_scale) {
  const Camera& cam0 = ss.views.front().camera;
  json tj;
  tj["camera_model"] = "PINHOLE";
  tj["fl_x"] = cam0.fx;
  tj["fl_y"] = cam0.fy;
  tj["cx"] = cam0.cx;
  tj["cy"] = cam0.cy;
  tj["w"] = cam0.width;
  tj["h"] = cam0.height;
  tj["depth_unit_scale_factor"] = depth_scale;
  tj["ply_file_path"] = "scaffold.ply";
  json frames = json::array(), train = json::array(), test = json::array();
  for (size_t v = 0; v < ss.views.size(); ++v) {
    const ViewSpec& view = ss.views[v];
    const std::string file = "images/" + view.name + ".png";
    frames.push_back({{"file_path", file},
                      {"transform_matrix", io::matrix_rows(view.camera.camera_to_world_opengl())},
                      {"mask_path", "masks/" + view.name + ".png"},
                      {"depth_file_path", "depth/" + view.name + ".png"},
                      {"depth_npy_path", "depth/" + view.name + ".npy"},
                      {"label_path", "labels/" + view.name + ".png"},
                      {"time", view.time},
                      {"view_kind", view.kind}});
    if (!view.camera_name.empty()) frames.back()["camera"] = view.camera_name;
    (int(v) < ss.num_train ? train : test).push_back(file);
  }
  if (ss.rig) tj["rig"] = rig_json(*ss.rig);
  tj["masks_exclude"] = {"sky", "actors"};  // a mask keeps exactly the static scene's pixels
  tj["frames"] = frames;
  tj["train_filenames"] = train;
  tj["test_filenames"] = test;
  return tj;
}

// actors.json: every actor's box and its pose at every view.
json actors_json(const SynthScene& ss) {
  json actors = json::array();
  for (size_t k = 0; k < ss.scene.actors.size(); ++k) {
    const Actor& a = ss.scene.actors[k];
    json poses = json::array();
    for (const ViewSpec& view : ss.views)
      poses.push_back({{"file_path", "images/" + view.name + ".png"}, {"time", view.time},
                       {"transform_matrix", io::matrix_rows(a.pose_at(view.time).matrix())}});
    actors.push_back({{"name", a.name}, {"class", "car"}, {"label", int(kLabelActorBase) + int(k)},
                      {"box_size", vec_json(a.box_size)},
                      {"velocity", vec_json(a.velocity)}, {"poses", poses}});
  }
  return {{"comment", "transform_matrix: actor box frame (centre, x forward, z up) to world"}, {"actors", actors}};
}

// The nerfstudio layout (writer.hpp): everything but synth.json.
WriteSummary write_nerfstudio_files(const SynthScene& ss, const SynthOptions& opt, const std::string& staging) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto path = [&](const std::string& rel) { return (fs::path(staging) / rel).string(); };
  WriteSummary summary;
  const std::vector<Image> depths = write_view_files(ss, opt, staging);
  summary.render_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  summary.images = int(ss.views.size());
  const double scale = write_depth_pngs(ss, depths, staging);
  const PointCloud scaffold = make_scaffold(ss, opt.scaffold, opt.seed);
  io::write_point_cloud_ply(path("scaffold.ply"), scaffold);
  summary.points = scaffold.size();
  json tj = transforms_json(ss, scale);
  if (ss.rig && opt.scaffold.lidar) tj["lidar"] = write_lidar_sweeps(ss, staging);
  io::write_file_atomic(path("transforms.json"), tj.dump(2) + "\n");
  if (!opt.edits.empty()) write_edited_views(ss, opt, staging, tj);
  if (!ss.scene.actors.empty()) io::write_file_atomic(path("actors.json"), actors_json(ss).dump(2) + "\n");
  return summary;
}

// synth.json: the options, the layout and every randomized value drawn.
json synth_meta(const SynthScene& ss, const SynthOptions& opt) {
  json meta;
  meta["generator"] = "ttgs synth";
  meta["preset"] = opt.preset;
  meta["layout"] = opt.layout;
  meta["seed"] = opt.seed;
  meta["views"] = opt.views;
  meta["cameras"] = opt.cameras;
  meta["novel"] = opt.novel;
  meta["width"] = opt.width;
  meta["height"] = opt.height;
  meta["supersample"] = opt.supersample;
  meta["randomize"] = {{"textures", opt.randomize.textures}, {"lighting", opt.randomize.lighting},
                       {"intrinsics", opt.randomize.intrinsics}, {"sensor", opt.randomize.sensor}};
  meta["scaffold"] = {{"points", opt.scaffold.points}, {"noise", opt.scaffold.noise},
                      {"outliers", opt.scaffold.outliers}, {"lidar", opt.scaffold.lidar}};
  meta["scene_radius"] = ss.scene.radius;
  meta["scene_center"] = vec_json(ss.scene.center);
  meta["light"] = {{"direction", vec_json(ss.scene.light.direction)}, {"color", vec_json(ss.scene.light.color)},
                   {"intensity", ss.scene.light.intensity}, {"ambient", vec_json(ss.scene.light.ambient)},
                   {"cloud_cover", ss.scene.sky.cloud_cover}};
  json sensors = json::array();
  for (const ViewSpec& view : ss.views)
    sensors.push_back({{"view", view.name}, {"exposure", view.sensor.exposure},
                       {"white_balance", vec_json(view.sensor.white_balance)}, {"blur_sigma", view.sensor.blur_sigma},
                       {"noise_sigma", view.sensor.noise_sigma}, {"jpeg_quality", view.sensor.jpeg_quality}});
  meta["sensor"] = sensors;
  return meta;
}
}  // namespace

WriteSummary write_synth_dataset(const SynthOptions& opt, const std::string& out_dir) {
  const auto t0 = std::chrono::steady_clock::now();
  const SynthScene ss = build_synth_scene(opt);
  for (const std::string& e : opt.edits) edited_scene(ss.scene, {io::parse_actor_edit(e)});  // bad edits fail first
  if (out_dir.empty()) throw InputError("--out", "an output folder is required");
  const fs::path out_path = fs::absolute(out_dir);
  std::error_code ec;
  fs::create_directories(out_path.parent_path(), ec);  // `--out a/b` with no `a` yet: made, as mkdir -p would
  if (!fs::is_directory(out_path.parent_path(), ec)) throw InputError(out_dir, "cannot create its parent folder");
  const std::string staging = out_path.string() + ".partial-" + std::to_string(::getpid());
  fs::remove_all(staging, ec);
  // Removes the staging folder unless the dataset was moved into place.
  struct StagingGuard {
    std::string path;
    bool done = false;
    ~StagingGuard() {
      std::error_code e;
      if (!done) fs::remove_all(path, e);
    }
  } guard{staging};
  fs::create_directories(staging);
  WriteSummary summary = opt.layout == "drivestudio" ? write_drivestudio_files(ss, opt, staging)
                                                     : write_nerfstudio_files(ss, opt, staging);
  io::write_file_atomic((fs::path(staging) / "synth.json").string(), synth_meta(ss, opt).dump(2) + "\n");
  move_into_place(staging, out_path.string());
  guard.done = true;
  summary.total_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return summary;
}

}  // namespace ttgs::synth
