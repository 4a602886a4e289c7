#pragma once
// TRI's DGP scene format (the format of the public DDAD dataset): a scene folder holding scene_<hash>.json, whose
// `samples` (one per timestamp) list the keys of `data` (datums: a camera image or a LiDAR point cloud, each with its
// sensor-to-world pose), calibration/<key>.json (per sensor: intrinsics and sensor-to-vehicle extrinsics),
// point_cloud/<lidar>/<ts>.npz, bounding_box_3d/<lidar>/<ts>.json (3D boxes in the LiDAR frame) and ontology/.
#include <map>
#include <string>
#include <vector>

#include "core/pose.hpp"
#include "io/dataset.hpp"

namespace ttgs::io {

// True when `path` is a file named scene_*.json or a folder holding one.
bool is_dgp_scene(const std::string& path);

// Reads a DGP scene (its folder or its scene_*.json) into a time-series DatasetSource: one frame per camera datum
// (pose = the datum's own pose; DGP cameras use OpenCV axes), the samples' times relative to the first (seconds),
// a rig (calibration extrinsics; ego pose = reference LiDAR pose ∘ its extrinsic⁻¹), one LiDAR sweep per point
// cloud datum, actor tracks from the LiDAR's 3D boxes grouped by instance id, and all LiDAR returns as `points`.
// Every position is recentred by `world_offset` (the first ego position, rounded to metres).
DatasetSource read_dgp_source(const std::string& path);

// One box of a DGP bounding_box_3d file, in the frame of the sensor it annotates.
struct DgpBox {
  std::string instance_id;  // DGP's instance_id, as text
  int class_id = 0;
  std::string label;   // the ontology's name of class_id ("class <id>" when the ontology lacks it)
  Vec3 size{0, 0, 0};  // length (x, forward), width (y), height (z), metres
  Pose box_to_sensor;  // box centre and axes
  int num_points = 0;  // LiDAR returns inside the box
};

// The class id -> name table of an ontology/<hash>.json file.
std::map<int, std::string> read_dgp_ontology(const std::string& path);
// The boxes of a bounding_box_3d/<sensor>/<ts>.json file.
std::vector<DgpBox> read_dgp_boxes(const std::string& path, const std::map<int, std::string>& class_names);

}  // namespace ttgs::io
