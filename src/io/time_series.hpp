#pragma once
// The time-aware parts of a dataset: a rig of cameras on a moving vehicle, LiDAR sweeps and tracked actors. World
// coordinates are the dataset's (recentred by loaders whose source lies far from the origin). Time is in seconds.
#include <optional>
#include <string>
#include <vector>

#include "core/pose.hpp"

namespace ttgs::io {

// Cameras fixed to a vehicle: camera i's pose at timestamp k is vehicle_to_world[k] ∘ sensor_to_vehicle[i].
struct Rig {
  std::vector<std::string> sensors;          // camera names, as frames name them (Frame::sensor)
  std::vector<Pose> sensor_to_vehicle;       // per sensor; the camera frame in OpenCV axes (x right, y down, z forward)
  std::vector<Pose> vehicle_to_world;        // per timestamp (Dataset::timestamps)
};

// One LiDAR sweep in world coordinates.
struct LidarSweep {
  int time_index = 0;
  double time = 0;
  std::vector<float> points;     // x y z per point
  std::vector<float> intensity;  // per point, empty when the source has none
  Vec3 origin{0, 0, 0};          // sensor position (world) at the sweep
  size_t size() const { return points.size() / 3; }
};

// A rigid actor followed over time: its box (centre at the origin of its frame, x forward, z up) and its
// box-to-world pose at the timestamps where it is tracked.
struct ActorTrack {
  std::string id;     // unique within the dataset (ttgs: the actor's name; DGP: the instance id)
  std::string label;  // class, e.g. car
  Vec3 size{0, 0, 0};  // full box extents: length (x), width (y), height (z)
  std::vector<int> time_indices;  // ascending
  std::vector<Pose> object_to_world;  // one per entry of time_indices
  // The pose at a timestamp index, if tracked there.
  std::optional<Pose> pose_at(int time_index) const;
};

// An edit of the actors, as `ttgs synth/render/eval --edit` write it: `remove:ID` (the actor disappears) or
// `move:ID:dx,dy,dyaw` (metres and degrees in the actor's box frame, at every timestamp).
struct ActorEdit {
  enum class Kind { kRemove, kMove } kind = Kind::kRemove;
  std::string id;
  double dx = 0, dy = 0, dyaw_deg = 0;
};
// InputError naming `--edit` when the text is malformed.
ActorEdit parse_actor_edit(const std::string& text);
// The box-frame offset of a move edit (rotation about z by dyaw, translation dx, dy).
Pose edit_offset(const ActorEdit& edit);
// The edited tracks; InputError naming `--edit` when no track has the edit's id.
std::vector<ActorTrack> apply_edit(const std::vector<ActorTrack>& tracks, const ActorEdit& edit);
}  // namespace ttgs::io
