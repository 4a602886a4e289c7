#pragma once
// A scene model as a folder: scene.json naming static.ply, actors/<id>.ply (each actor's Gaussians in its box
// frame) and actors.json (the tracks, in ttgs's actors.json format), and holding the environment map and the
// per-image appearance transforms; every .ply is a standard INRIA 3DGS file. scene.ply, also written, is the whole
// scene baked at the first timestamp (actors placed), for viewers that know nothing of time.
#include <string>

#include "io/dataset.hpp"
#include "model/scene_model.hpp"

namespace ttgs::model {

// Written atomically file by file; InputError when a tensor holds NaN or infinite values (nothing written).
void write_scene_folder(const std::string& dir, const SceneModel& scene, const io::Dataset& dataset);

struct LoadedScene {
  SceneModel scene;
  std::vector<io::ActorTrack> tracks;
  std::vector<double> timestamps;
  std::vector<std::string> frame_names;  // the appearance rows' frames
};
// `path`: the folder or its scene.json. InputError naming the file on any inconsistency.
LoadedScene read_scene_folder(const std::string& path);

// The loaded scene on a dataset's frames and timestamps (which may be the fit's or another split of the same
// clip): actor poses re-indexed by time value, appearance rows matched by frame name (unmatched frames interpolate).
SceneModel scene_for_dataset(const LoadedScene& loaded, const io::Dataset& dataset);

// The scene at one timestamp as plain Gaussians (actors placed, absent actors dropped, no part labels).
Gaussians bake_at(const SceneModel& scene, int time_index);

}  // namespace ttgs::model
