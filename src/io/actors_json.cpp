#include "io/actors_json.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "io/file_util.hpp"
#include "io/json_fields.hpp"
#include "io/transforms_json.hpp"

namespace ttgs::io {
namespace {
using json = nlohmann::json;

ActorTrack read_track(const json& a, const std::vector<double>& timestamps, const std::string& path,
                      const std::string& where) {
  ActorTrack t;
  if (!a.is_object() || !a.contains("name") || !a.at("name").is_string())
    throw InputError(path, where + "needs a string 'name'");
  t.id = a.at("name").get<std::string>();
  t.label = a.contains("class") && a.at("class").is_string() ? a.at("class").get<std::string>() : "actor";
  const json& size = a.value("box_size", json());
  if (!size.is_array() || size.size() != 3 || !size[0].is_number() || !size[1].is_number() || !size[2].is_number())
    throw InputError(path, where + "'box_size' must be three numbers");
  t.size = {size[0].get<double>(), size[1].get<double>(), size[2].get<double>()};
  if (!(t.size[0] > 0 && t.size[1] > 0 && t.size[2] > 0)) throw InputError(path, where + "'box_size' must be positive");
  std::map<int, Pose> poses;
  for (const json& p : a.value("poses", json::array())) {
    if (!p.is_object() || !p.contains("time") || !p.at("time").is_number() || !p.contains("transform_matrix"))
      throw InputError(path, where + "each pose needs 'time' and 'transform_matrix'");
    const int k = timestamp_index(timestamps, p.at("time").get<double>());
    if (k < 0) continue;
    const Pose pose = Pose::from_matrix(matrix4_field(p, "transform_matrix", where, path));
    const auto [it, added] = poses.emplace(k, pose);
    if (!added && norm(it->second.translation - pose.translation) > 1e-4)
      throw InputError(path, where + "two different poses at time " + std::to_string(timestamps[size_t(k)]));
  }
  for (const auto& [k, pose] : poses) {
    t.time_indices.push_back(k);
    t.object_to_world.push_back(pose);
  }
  return t;
}
}  // namespace

int timestamp_index(const std::vector<double>& timestamps, double time) {
  const auto it = std::lower_bound(timestamps.begin(), timestamps.end(), time - 1e-6);
  if (it == timestamps.end() || std::abs(*it - time) > 1e-6) return -1;
  return int(it - timestamps.begin());
}

int nearest_timestamp(const std::vector<double>& timestamps, double time) {
  int best = 0;
  for (size_t k = 1; k < timestamps.size(); ++k)
    if (std::abs(timestamps[k] - time) < std::abs(timestamps[size_t(best)] - time)) best = int(k);
  return best;
}

std::vector<ActorTrack> read_actors_json(const std::string& path, const std::vector<double>& timestamps) {
  json root;
  try {
    root = json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw InputError(path, std::string("not valid JSON: ") + e.what());
  }
  if (!root.is_object() || !root.contains("actors") || !root.at("actors").is_array())
    throw InputError(path, "no 'actors' list");
  std::vector<ActorTrack> tracks;
  for (size_t k = 0; k < root.at("actors").size(); ++k) {
    tracks.push_back(read_track(root.at("actors")[k], timestamps, path, "actor " + std::to_string(k) + ": "));
    for (size_t j = 0; j + 1 < tracks.size(); ++j)
      if (tracks[j].id == tracks.back().id) throw InputError(path, "two actors named '" + tracks.back().id + "'");
  }
  return tracks;
}

void write_actors_json(const std::string& path, const std::vector<ActorTrack>& tracks,
                       const std::vector<double>& timestamps) {
  json actors = json::array();
  for (const ActorTrack& t : tracks) {
    json poses = json::array();
    for (size_t k = 0; k < t.time_indices.size(); ++k)
      poses.push_back({{"time", timestamps.at(size_t(t.time_indices[k]))},
                       {"transform_matrix", matrix_rows(t.object_to_world[k].matrix())}});
    actors.push_back({{"name", t.id}, {"class", t.label}, {"box_size", {t.size[0], t.size[1], t.size[2]}},
                      {"poses", poses}});
  }
  write_file_atomic(path, json{{"comment", "transform_matrix: actor box frame (centre, x forward, z up) to world"},
                               {"actors", actors}}.dump(2) + "\n");
}

}  // namespace ttgs::io
