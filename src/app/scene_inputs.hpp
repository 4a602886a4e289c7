#pragma once
// Options shared by the commands that take a Gaussian scene and a dataset (render, eval).
#include <memory>
#include <string>

#include "io/dataset.hpp"
#include "model/gaussians.hpp"

namespace CLI {
class App;
}

namespace ttgs::app {

struct SceneInputs {
  std::string ply, data, split = "test";
  io::LoadOptions load;
};

void add_scene_options(CLI::App& cmd, SceneInputs& inputs);
model::Gaussians load_gaussians(const std::string& ply);  // InputError for a bad file

}  // namespace ttgs::app
