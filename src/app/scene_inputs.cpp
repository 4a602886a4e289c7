#include "app/scene_inputs.hpp"

#include <CLI/CLI.hpp>

#include "core/error.hpp"
#include "io/file_util.hpp"
#include "io/ply.hpp"
#include "io/splat_formats.hpp"
#include "model/scene_files.hpp"

namespace ttgs::app {

CLI::Validator non_negative_whole() {
  return CLI::Validator(
      [](const std::string& value) {
        try {
          size_t used = 0;
          const int n = std::stoi(value, &used);
          if (used != value.size()) return std::string("must be a whole number");
          return n >= 0 ? std::string() : std::string("must not be negative");
        } catch (const std::exception&) {
          return std::string("must be a whole number");
        }
      },
      "N >= 0");
}

void add_threads_option(CLI::App& cmd, int& threads, const std::string& help) {
  cmd.add_option("--threads", threads, help)->check(non_negative_whole())->capture_default_str();
}

void add_scene_part_options(CLI::App& cmd, ScenePartToggles& t) {
  const auto toggle = [&](const char* name, std::string& value, const char* what) {
    cmd.add_option(name, value, what)->check(CLI::IsMember({"auto", "on", "off"}))->capture_default_str();
  };
  toggle("--dynamic", t.dynamic, "Actors as rigid parts placed by their tracks (auto: when the dataset has tracks)");
  toggle("--sky", t.sky, "An environment map for the sky and far background (auto: for time series)");
  toggle("--appearance", t.appearance, "A colour transform per training image (auto: for time series)");
  toggle("--antialiased", t.antialiased,
         "Train and render with Mip-Splatting's opacity compensation of the low-pass filter, for content seen at many "
         "distances (auto: for time series; standard splat viewers render without it)");
}

void apply_scene_parts(const ScenePartToggles& t, const io::Dataset& ds, model::SceneInitOptions& o) {
  const auto on = [](const std::string& v, bool automatic) { return v == "on" || (v == "auto" && automatic); };
  o.actors = on(t.dynamic, !ds.actors.empty());
  o.environment = on(t.sky, ds.is_time_series());
  o.appearance = on(t.appearance, ds.is_time_series());
  o.antialiased = on(t.antialiased, ds.is_time_series());
}

void add_scene_options(CLI::App& cmd, SceneInputs& in) {
  add_threads_option(cmd, in.threads);
  CLI::Option* ply = cmd.add_option("--ply", in.ply, "A splat file (.ply, .spz, .splat, .compressed.ply, .glb), in "
                                                      "the dataset's world frame");
  CLI::Option* scene = cmd.add_option("--scene", in.scene, "The scene: a splat file, or a scene folder written by "
                                                            "`ttgs fit`, `init` or `refine` (or its scene.json)");
  ply->excludes(scene);
  scene->excludes(ply);
  cmd.add_option("--edit", in.edits, "Edit an actor of a --scene: remove:ID or move:ID:dx,dy,dyaw (metres, degrees, "
                                     "box frame); repeatable");
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

void add_image_memory_option(CLI::App& cmd, io::LoadOptions& load) {
  load.lazy_above_bytes = kDefaultImageMemoryMib << 20;
  cmd.add_option_function<int64_t>(
         "--image-memory", [&load](int64_t mib) { load.lazy_above_bytes = mib << 20; },
         "MiB of decoded photos kept in memory: a dataset whose photos, masks and depth maps take more is read lazily "
         "(every file checked at load, each frame decoded again when it is used, the most recently used kept up to "
         "this size); 0 = decode everything at load")
      ->check(non_negative_whole())
      ->default_str(std::to_string(kDefaultImageMemoryMib));
}

model::Gaussians load_gaussians(const std::string& path) { return model::from_splat_data(io::read_splats(path)); }

model::SceneModel load_scene_model(const SceneInputs& given, const io::Dataset& ds) {
  SceneInputs in = given;
  if (!in.scene.empty() && io::is_splat_file(in.scene)) std::swap(in.scene, in.ply);  // --scene X.spz
  if (in.ply.empty() == in.scene.empty()) throw InputError("--scene", "give a splat file or a scene folder");
  if (!in.ply.empty() && !in.edits.empty()) throw InputError("--edit", "needs a scene folder with actors (--scene)");
  if (!in.ply.empty()) return model::static_scene(load_gaussians(in.ply));
  model::SceneModel scene = model::scene_for_dataset(model::read_scene_folder(in.scene), ds);
  for (const std::string& e : in.edits) model::apply_edit(scene.actors, io::parse_actor_edit(e));
  return scene;
}

}  // namespace ttgs::app
