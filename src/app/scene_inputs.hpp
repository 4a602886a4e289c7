#pragma once
// Options shared by the commands: dataset loading (all), a Gaussian scene and a dataset (render, eval).
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
// How every command loads a dataset: --downscale, --test-every, --test-frames.
void add_load_options(CLI::App& cmd, io::LoadOptions& load);
model::Gaussians load_gaussians(const std::string& ply);  // InputError for a bad file

}  // namespace ttgs::app
