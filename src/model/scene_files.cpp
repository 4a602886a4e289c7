#include "model/scene_files.hpp"

#include <c10/core/GradMode.h>
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "io/actors_json.hpp"
#include "io/file_util.hpp"
#include "io/ply.hpp"

namespace ttgs::model {
namespace {
using json = nlohmann::json;

std::string file_stem(const std::string& id) {
  std::string s = id;
  for (char& c : s)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
  return s.empty() ? "actor" : s;
}

void write_ply(const std::string& path, const Gaussians& g) {
  Gaussians plain = g;
  plain.part = at::Tensor();
  io::write_splat_ply(path, to_splat_data(plain));
}

std::vector<float> values(const at::Tensor& t) {
  const at::Tensor c = t.detach().to(at::kFloat).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

at::Tensor tensor_of(const json& j, std::vector<int64_t> shape, const std::string& path, const char* what) {
  std::vector<float> v;
  try {
    v = j.get<std::vector<float>>();
  } catch (const json::exception&) {
    throw InputError(path, std::string(what) + " must be a list of numbers");
  }
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  if (int64_t(v.size()) != n) throw InputError(path, std::string(what) + " has the wrong number of values");
  return at::tensor(v, at::kFloat).view(shape);
}

}  // namespace

Gaussians bake_at(const SceneModel& scene, int time_index) {
  c10::NoGradGuard no_grad;
  if (!scene.dynamic()) return scene.gaussians;
  Gaussians placed = place_at(scene.gaussians, scene.actors, time_index);
  placed = placed.select(placed.opacity_logits.squeeze(1) > -29.0f);
  placed.part = at::Tensor();
  return placed;
}

void write_scene_folder(const std::string& dir, const SceneModel& scene, const io::Dataset& ds) {
  if (!to_splat_data(scene.gaussians).all_finite() ||
      (scene.environment.defined() && !scene.environment.logits.isfinite().all().item<bool>()) ||
      (scene.appearance.defined() && !scene.appearance.isfinite().all().item<bool>()))
    throw InputError(dir, "the fitted model holds NaN or infinite values; nothing written");
  std::filesystem::create_directories(std::filesystem::path(dir) / "actors");
  const at::Tensor parts = scene.gaussians.parts();
  write_ply(io::join_path(dir, "static.ply"), scene.gaussians.select(parts < 0));
  json actors = json::array();
  for (int64_t k = 0; k < scene.actors.num_actors(); ++k) {
    const std::string id = scene.actors.ids[size_t(k)];
    const std::string file = "actors/" + file_stem(id) + ".ply";
    write_ply(io::join_path(dir, file), scene.gaussians.select(parts == k));
    actors.push_back({{"id", id}, {"ply", file}});
  }
  json j{{"kind", "ttgs scene"}, {"version", 1}, {"static", "static.ply"}, {"actors", actors},
         {"timestamps", ds.timestamps}, {"world_offset", {ds.world_offset[0], ds.world_offset[1], ds.world_offset[2]}}};
  if (!ds.actors.empty()) {  // the model's own poses (refined ones, after `ttgs refine`)
    const std::vector<io::ActorTrack> tracks =
        scene.actors.num_actors() > 0 ? tracks_of(scene.actors, ds.actors) : ds.actors;
    io::write_actors_json(io::join_path(dir, "actors.json"), tracks, ds.timestamps);
    j["tracks"] = "actors.json";
  }
  if (scene.environment.defined())
    j["environment"] = {{"size", {scene.environment.logits.size(0), scene.environment.logits.size(1)}},
                        {"frame", values(scene.environment.frame)}, {"logits", values(scene.environment.logits)}};
  if (scene.appearance.defined()) {
    json frames = json::array();
    for (size_t i = 0; i < ds.frames.size(); ++i)
      frames.push_back({{"name", ds.frames[i].name}, {"trained", bool(scene.appearance_trained[i])},
                        {"transform", values(scene.appearance[int64_t(i)])}});
    j["appearance"] = frames;
  }
  if (scene.antialiased) j["antialiased"] = true;  // render mode; absent: standard 3DGS rasterization
  io::write_file_atomic(io::join_path(dir, "scene.json"), j.dump(1) + "\n");
  write_ply(io::join_path(dir, "scene.ply"), bake_at(scene, 0));
}

LoadedScene read_scene_folder(const std::string& path) {
  const std::string file = io::is_directory(path) ? io::join_path(path, "scene.json") : path;
  const std::string dir = io::parent_path(file);
  json j;
  try {
    j = json::parse(io::read_file(file));
  } catch (const json::exception& e) {
    throw InputError(file, std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object() || j.value("kind", "") != "ttgs scene") throw InputError(file, "not a ttgs scene.json");
  LoadedScene out;
  try {
    out.timestamps = j.at("timestamps").get<std::vector<double>>();
    Gaussians g = from_splat_data(io::read_splat_ply(io::join_path(dir, j.at("static").get<std::string>())));
    std::vector<std::string> ids;
    for (const json& a : j.at("actors")) {
      Gaussians part = from_splat_data(io::read_splat_ply(io::join_path(dir, a.at("ply").get<std::string>())));
      part.part = at::full({part.size()}, int64_t(ids.size()), at::kLong);
      g.part = g.parts();
      g = concat(g, part);
      ids.push_back(a.at("id").get<std::string>());
    }
    if (j.contains("tracks")) out.tracks = io::read_actors_json(io::join_path(dir, j.at("tracks")), out.timestamps);
    std::vector<io::ActorTrack> ordered;
    for (const std::string& id : ids) {
      const auto it = std::find_if(out.tracks.begin(), out.tracks.end(), [&](const io::ActorTrack& t) { return t.id == id; });
      if (it == out.tracks.end()) throw InputError(file, "actor " + id + " has no track");
      ordered.push_back(*it);
    }
    out.scene.gaussians = g;
    if (j.contains("antialiased")) out.scene.antialiased = j.at("antialiased").get<bool>();
    if (!ids.empty()) out.scene.actors = actor_poses(ordered, out.timestamps.size());
    if (j.contains("environment")) {
      const json& e = j.at("environment");
      const auto size = e.at("size").get<std::vector<int64_t>>();
      if (size.size() != 2) throw InputError(file, "environment size must be [height, width]");
      out.scene.environment.logits = tensor_of(e.at("logits"), {size[0], size[1], 3}, file, "environment logits");
      out.scene.environment.frame = tensor_of(e.at("frame"), {3, 3}, file, "environment frame");
    }
    if (j.contains("appearance")) {
      std::vector<at::Tensor> rows;
      for (const json& f : j.at("appearance")) {
        out.frame_names.push_back(f.at("name").get<std::string>());
        out.scene.appearance_trained.push_back(f.at("trained").get<bool>());
        rows.push_back(tensor_of(f.at("transform"), {3, 4}, file, "appearance transform"));
      }
      if (!rows.empty()) out.scene.appearance = at::stack(rows);
    }
  } catch (const json::exception& e) {
    throw InputError(file, std::string("malformed scene.json: ") + e.what());
  }
  return out;
}

SceneModel scene_for_dataset(const LoadedScene& loaded, const io::Dataset& ds) {
  SceneModel scene = loaded.scene;
  if (scene.dynamic()) {
    std::vector<io::ActorTrack> tracks;
    for (const std::string& id : scene.actors.ids) {
      const auto it = std::find_if(loaded.tracks.begin(), loaded.tracks.end(),
                                   [&](const io::ActorTrack& t) { return t.id == id; });
      io::ActorTrack t = *it;
      t.time_indices.clear();
      t.object_to_world.clear();
      for (size_t j = 0; j < it->time_indices.size(); ++j) {
        const int k = io::timestamp_index(ds.timestamps, loaded.timestamps.at(size_t(it->time_indices[j])));
        if (k < 0) continue;
        t.time_indices.push_back(k);
        t.object_to_world.push_back(it->object_to_world[j]);
      }
      tracks.push_back(t);
    }
    scene.actors = actor_poses(tracks, ds.timestamps.size());
  }
  if (scene.appearance.defined()) {
    at::Tensor table = identity_appearance(int64_t(ds.frames.size()));
    std::vector<bool> trained(ds.frames.size(), false);
    for (size_t i = 0; i < ds.frames.size(); ++i)
      for (size_t r = 0; r < loaded.frame_names.size(); ++r)
        if (loaded.frame_names[r] == ds.frames[i].name && loaded.scene.appearance_trained[r]) {
          table[int64_t(i)] = loaded.scene.appearance[int64_t(r)];
          trained[i] = true;
        }
    scene.appearance = table;
    scene.appearance_trained = trained;
  }
  return scene;
}

}  // namespace ttgs::model
