#pragma once
// The scene model a fit of a time series starts from. Points come from the LiDAR sweeps when there are any, else
// from the given static Gaussians. A return inside an actor's box at its timestamp belongs to that actor and is kept
// in the box frame (one near a box but not in it is dropped); an actor with too few returns starts from random points
// on its box's surface. Static points are thinned on a voxel grid; LiDAR and box points are coloured by the training
// photos that see them (model/point_colours.hpp).
#include <cstdint>

#include "io/dataset.hpp"
#include "model/init.hpp"
#include "model/scene_model.hpp"

namespace ttgs::model {

struct SceneInitOptions {
  InitOptions base;
  bool actors = true;       // actor parts from the tracks (false: a static-only model)
  bool environment = true;  // an environment map for the distant region
  bool appearance = true;   // per-image appearance transforms
  bool lidar = true;        // static points from the LiDAR sweeps when the dataset has them
  bool antialiased = true;  // the model is trained and rendered in antialiased mode (SceneModel::antialiased)
  int64_t max_static_points = 150000;
  int64_t min_actor_points = 50, surface_points = 1000;  // per actor
  // LiDAR returns outside an actor's box but within this distance of it sideways (and above the ground) belong to
  // neither part: they are dropped (the boxes of a log are noisy; see split_lidar).
  double actor_margin = 0.5;
  uint64_t seed = 0;
};

SceneModel init_scene(const io::Dataset& dataset, const Gaussians& static_gaussians, const SceneInitOptions& options);

// The dataset's LiDAR returns that belong to the static scene, as init_scene takes them (none inside or within
// actor_margin of an actor's box at their timestamp, thinned to max_static_points); colours left empty.
PointCloud static_lidar_points(const io::Dataset& dataset, const SceneInitOptions& options = {});

// Pseudo-LiDAR from depth maps: every `stride`-th pixel (in x and y) with a positive depth of each of `frames`
// unprojected to the world (z-depth along the optical axis, as io::Frame::depth holds it), one sweep per timestamp
// with the camera centre as its origin; frames without a depth map add nothing.
std::vector<io::LidarSweep> sweeps_from_depth(const io::Dataset& dataset, const std::vector<size_t>& frames, int stride);

// Keeps one point per voxel, the voxel doubling in size from `voxel` until at most `max_points` remain.
PointCloud voxel_thin(const PointCloud& points, double voxel, int64_t max_points);

}  // namespace ttgs::model
