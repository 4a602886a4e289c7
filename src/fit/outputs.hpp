#pragma once
// What `ttgs fit` writes, each file to a temporary name and renamed: scene.ply (INRIA layout, in the dataset's world
// frame), cameras.json (the cameras used, nerfstudio conventions), report.json; for a scene model with actors, an
// environment map or appearance, the scene folder of model/scene_files.hpp (scene.json, static.ply, actors/).
#include <string>

#include "fit/trainer.hpp"

namespace ttgs::fit {

std::string report_json(const FitResult& result, const FitOptions& options, const io::Dataset& dataset);
std::string cameras_json(const io::Dataset& dataset);
// Refuses (InputError) to write a model holding NaN or infinite values.
void write_outputs(const std::string& dir, const FitResult& result, const FitOptions& options, const io::Dataset& dataset);

}  // namespace ttgs::fit
