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

}  // namespace ttgs::io
