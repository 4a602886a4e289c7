#pragma once
// Options shared by the commands: dataset loading (all), a Gaussian scene and a dataset (render, eval).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/dataset.hpp"
#include "model/gaussians.hpp"
#include "model/scene_init.hpp"
#include "model/scene_model.hpp"

namespace CLI {
class App;
class Validator;
}

namespace ttgs::app {

struct SceneInputs {
  std::string ply, scene, data, split = "test";
  std::vector<std::string> edits;  // --edit remove:ID | move:ID:dx,dy,dyaw
  io::LoadOptions load;
  int threads = 0;
};

// --dynamic / --sky / --appearance / --antialiased (auto, on, off): the parts of a scene model that fit and init
// build, and its render mode.
struct ScenePartToggles {
  std::string dynamic = "auto", sky = "auto", appearance = "auto", antialiased = "auto";
};
void add_scene_part_options(CLI::App& cmd, ScenePartToggles& toggles);
// The toggles on a dataset (auto: actors when it has tracks, sky, appearance and antialiasing for time series) into
// `options`.
void apply_scene_parts(const ScenePartToggles& toggles, const io::Dataset& dataset, model::SceneInitOptions& options);

// A whole number >= 0 (that fits an int), with the reason in the error otherwise.
CLI::Validator non_negative_whole();

// --threads N (0 = all cores; a negative count is an option error) for every command that computes.
void add_threads_option(CLI::App& cmd, int& threads, const std::string& help = "Threads (0 = all cores)");

void add_scene_options(CLI::App& cmd, SceneInputs& inputs);
// How every command loads a dataset: --downscale, --test-every, --test-frames.
void add_load_options(CLI::App& cmd, io::LoadOptions& load);
// --image-memory MIB (io::LoadOptions::lazy_above_bytes) for the commands that read each frame when they use it
// (fit, bench fit, eval, view).
constexpr int64_t kDefaultImageMemoryMib = 2048;
void add_image_memory_option(CLI::App& cmd, io::LoadOptions& load);
model::Gaussians load_gaussians(const std::string& ply);  // InputError for a bad file
// The --ply file as a static scene, or the --scene folder on the dataset's frames and timestamps, with the --edits.
model::SceneModel load_scene_model(const SceneInputs& inputs, const io::Dataset& dataset);

}  // namespace ttgs::app
