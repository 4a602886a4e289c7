#include "io/time_series.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/error.hpp"

namespace ttgs::io {

std::optional<Pose> ActorTrack::pose_at(int time_index) const {
  const auto it = std::lower_bound(time_indices.begin(), time_indices.end(), time_index);
  if (it == time_indices.end() || *it != time_index) return std::nullopt;
  return object_to_world[size_t(it - time_indices.begin())];
}

ActorEdit parse_actor_edit(const std::string& text) {
  ActorEdit e;
  const size_t colon = text.find(':');
  const std::string verb = text.substr(0, colon);
  if (colon == std::string::npos || (verb != "remove" && verb != "move"))
    throw InputError("--edit", "'" + text + "': expected remove:ID or move:ID:dx,dy,dyaw");
  if (verb == "remove") {
    e.id = text.substr(colon + 1);
  } else {
    e.kind = ActorEdit::Kind::kMove;
    const size_t last = text.rfind(':');
    e.id = text.substr(colon + 1, last - colon - 1);
    if (last <= colon || std::sscanf(text.c_str() + last + 1, "%lf,%lf,%lf", &e.dx, &e.dy, &e.dyaw_deg) != 3)
      throw InputError("--edit", "'" + text + "': expected move:ID:dx,dy,dyaw (metres, metres, degrees)");
  }
  if (e.id.empty()) throw InputError("--edit", "'" + text + "': no actor ID");
  return e;
}

Pose edit_offset(const ActorEdit& e) { return {rotation_z(e.dyaw_deg * M_PI / 180), {e.dx, e.dy, 0}}; }

std::vector<ActorTrack> apply_edit(const std::vector<ActorTrack>& tracks, const ActorEdit& e) {
  std::vector<ActorTrack> out;
  bool found = false;
  for (const ActorTrack& t : tracks) {
    if (t.id != e.id) {
      out.push_back(t);
      continue;
    }
    found = true;
    if (e.kind == ActorEdit::Kind::kRemove) continue;
    ActorTrack moved = t;
    for (Pose& p : moved.object_to_world) p = p.compose(edit_offset(e));
    out.push_back(moved);
  }
  if (!found) throw InputError("--edit", "no actor '" + e.id + "' in the scene");
  return out;
}

}  // namespace ttgs::io
