#pragma once
// A spinning LiDAR on the ego vehicle: `beams` rings between two elevations, `azimuths` returns per ring, each the
// closest hit of the scene placed at the sweep's time (actors included) within `max_range`.
#include <vector>

#include "core/pose.hpp"
#include "synth/scene.hpp"

namespace ttgs::synth {

struct LidarOptions {
  int beams = 32, azimuths = 1024;
  double min_elevation_deg = -25, max_elevation_deg = 10;
  double max_range = 80;           // metres
  Vec3 mount{0, 0, 1.9};           // sensor position on the vehicle
};

struct LidarScan {
  std::vector<float> points;     // world x y z per return
  std::vector<float> intensity;  // per return: |cos| of the incidence angle (a stand-in for reflectance)
  Vec3 origin{0, 0, 0};          // sensor position, world
};

LidarScan scan_lidar(const Scene& scene, double time, const Pose& vehicle_to_world, const LidarOptions& options = {});

}  // namespace ttgs::synth
