#pragma once
// drivestudio's processed scene layout (ziyc/drivestudio, datasets/waymo/waymo_preprocess.py; the layout that
// drivestudio/OmniRe, DGGT and STORM read): one folder per scene holding
//   images/<t>_<c>.jpg                   frame t (zero-padded to 3 digits), camera c (0, 1, ...); .png accepted too
//   extrinsics/<c>.txt                   4x4 camera-to-vehicle, the camera frame in Waymo's axes (x forward, y left,
//                                        z up); drivestudio turns it into OpenCV axes with its OPENCV2DATASET
//   intrinsics/<c>.txt                   fx fy cx cy k1 k2 p1 p2 k3, one number a line
//   ego_pose/<t>.txt                     4x4 vehicle-to-world (x forward, y left, z up)
//   lidar/<t>.bin                        float32 records of 14 numbers in the vehicle frame of frame t (below)
//   sky_masks/<t>_<c>.png                255 = sky
//   dynamic_masks/{all,human,vehicle}/<t>_<c>.png   255 = a moving object (fine_dynamic_masks/ preferred when present)
//   instances/instances_info.json        {"<k>": {"id", "class_name", "frame_annotations": {"frame_idx": [t...],
//                                        "obj_to_world": [4x4...], "box_size": [[length, width, height]...]}}}
//   instances/frame_instances.json       {"<t>": [k...]}: the instances annotated at frame t
// Image sizes are not stored: they come from the images. Frames are 0.1 s apart (Waymo's 10 Hz; drivestudio uses
// the frame index as its time).
#include <string>
#include <vector>

#include "core/math.hpp"
#include "io/dataset.hpp"

namespace ttgs::io {

constexpr double kDrivestudioFrameSeconds = 0.1;
// A LiDAR record: origin x y z, point x y z, flow x y z (m/s), flow class (-1 none, 0 background, 1 vehicle,
// 2 pedestrian, 3 sign, 4 cyclist), ground label, intensity, elongation, laser id (0 = TOP).
constexpr int kDrivestudioLidarFloats = 14;
constexpr int kLidarOrigin = 0, kLidarPoint = 3, kLidarFlow = 6, kLidarFlowClass = 9, kLidarGround = 10,
              kLidarIntensity = 11, kLidarElongation = 12, kLidarLaserId = 13;

// True when `path` is a folder holding ego_pose/ and extrinsics/.
bool is_drivestudio_scene(const std::string& path);

// Reads a drivestudio scene folder into a time-series DatasetSource: one frame per (frame, camera) image at time
// t x 0.1 s, sensors named by their camera index ("0", "1", ...), a rig (extrinsics in OpenCV axes, one ego pose
// per frame), LiDAR sweeps in world coordinates, actor tracks from the instances, sky and dynamic masks as masks
// that only hide sky and actors, and all LiDAR returns as `points`. When the first ego position lies more than
// 1 km from the origin, every position is recentred by `world_offset` (that position rounded to metres).
DatasetSource read_drivestudio_source(const std::string& path);

// Shared with the writer (synth/drivestudio_writer):
// The rotation from OpenCV camera axes to Waymo camera axes (drivestudio's OPENCV2DATASET).
Mat3 opencv_to_waymo_camera();
// "003" for frame 3; "003_1" for frame 3, camera 1.
std::string drivestudio_frame_name(int frame);
std::string drivestudio_image_stem(int frame, int camera);
// Numbers as numpy.savetxt writes them (%.18e): a matrix row per line, or one number a line.
std::string drivestudio_matrix_text(const Mat4& m);
std::string drivestudio_numbers_text(const std::vector<double>& values);

}  // namespace ttgs::io
