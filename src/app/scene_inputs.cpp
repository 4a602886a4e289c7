#include "app/scene_inputs.hpp"

#include <CLI/CLI.hpp>

#include "io/ply.hpp"

namespace ttgs::app {

void add_scene_options(CLI::App& cmd, SceneInputs& in) {
  cmd.add_option("--ply", in.ply, "3DGS scene (.ply), in the dataset's world frame")->required();
  cmd.add_option("--data", in.data, "Dataset folder, transforms.json, or COLMAP model")->required();
  cmd.add_option("--split", in.split, "train, test or all")->capture_default_str();
  cmd.add_option("--downscale", in.load.downscale, "Integer downscale factor applied on load")->capture_default_str();
  cmd.add_option("--test-every", in.load.test_every, "Every Nth frame is a test frame when the dataset has no split")
      ->capture_default_str();
}

model::Gaussians load_gaussians(const std::string& ply) { return model::from_splat_data(io::read_splat_ply(ply)); }

}  // namespace ttgs::app
