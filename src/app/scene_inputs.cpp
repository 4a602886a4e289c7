#include "app/scene_inputs.hpp"

#include <CLI/CLI.hpp>

#include "io/ply.hpp"

namespace ttgs::app {

void add_scene_options(CLI::App& cmd, SceneInputs& in) {
  cmd.add_option("--ply", in.ply, "3DGS scene (.ply), in the dataset's world frame")->required();
  cmd.add_option("--data", in.data, "Dataset folder, transforms.json, or COLMAP model")->required();
  cmd.add_option("--split", in.split, "train, test or all")->capture_default_str();
  add_load_options(cmd, in.load);
}

void add_load_options(CLI::App& cmd, io::LoadOptions& load) {
  cmd.add_option("--downscale", load.downscale, "Integer downscale factor applied on load")->capture_default_str();
  cmd.add_option("--test-every", load.test_every,
                 "Without a split in the dataset: every Nth frame is a test frame (time series: every Nth "
                 "timestamp, all its cameras); 0 = none")
      ->capture_default_str();
  cmd.add_option_function<std::vector<int>>(
         "--test-frames", [&load](const std::vector<int>& indices) { load.test_timestamps = indices; },
         "Time series: hold out these timestamps (0-based indices, comma-separated; all cameras of each)")
      ->delimiter(',');
}

model::Gaussians load_gaussians(const std::string& ply) { return model::from_splat_data(io::read_splat_ply(ply)); }

}  // namespace ttgs::app
