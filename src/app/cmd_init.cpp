// `ttgs init --data D --out S [--source auto|lidar|depth|points]`: a scene model built without optimization, in
// about a second — point-aligned Gaussians for the static part (LiDAR returns, depth-map pixels or the dataset's
// points), the actors from the points inside their boxes (or their boxes' surfaces), an environment map for the
// distant region and identity appearance transforms — written as the scene folder `ttgs fit` writes. It stands in
// for a feed-forward network's output (DGGT, STORM): what `ttgs refine --init S` starts from.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <memory>

#include "app/commands.hpp"
#include "app/scene_inputs.hpp"
#include "core/error.hpp"
#include "model/init.hpp"
#include "model/scene_files.hpp"
#include "model/scene_init.hpp"
#include "model/threads.hpp"

namespace ttgs::app {
namespace {

struct InitCommand {
  std::string data, out, source = "auto";
  ScenePartToggles parts;
  int stride = 4, threads = 0;
  io::LoadOptions load;
  model::SceneInitOptions scene;
};

// The dataset with the points `source` names as its LiDAR sweeps (init_scene's input), or its COLMAP/PLY points as
// the static Gaussians.
model::SceneModel build(io::Dataset& ds, InitCommand& c) {
  std::string source = c.source;
  if (source == "auto") {
    bool depth = false;
    for (size_t i : ds.train) depth = depth || (ds.frames[i].depth && !ds.frames[i].depth->empty());
    source = !ds.lidar.empty() ? "lidar" : depth ? "depth" : "points";
  }
  model::Gaussians points;
  c.scene.lidar = source != "points";
  if (source == "lidar" && ds.lidar.empty()) throw InputError("--source", "lidar: " + ds.path + " has no LiDAR sweeps");
  if (source == "depth") {
    ds.lidar = model::sweeps_from_depth(ds, ds.train, c.stride);
    if (ds.lidar.empty()) throw InputError("--source", "depth: no training frame of " + ds.path + " has a depth map");
  }
  if (source == "points") {
    if (!ds.points || ds.points->size() == 0) throw InputError("--source", "points: " + ds.path + " has no points");
    points = model::init_from_points(*ds.points, c.scene.base);
  }
  return model::init_scene(ds, points, c.scene);
}

}  // namespace

void add_init_command(CLI::App& root) {
  auto c = std::make_shared<InitCommand>();
  c->scene.base.opacity = 0.8f;
  c->scene.base.surfel_neighbours = 16;
  CLI::App* cmd = root.add_subcommand("init", "Build a scene model without optimization (a feed-forward-style start for refine)");
  cmd->add_option("--data", c->data, "Dataset folder, transforms.json, DGP scene or drivestudio folder")->required();
  cmd->add_option("--out", c->out, "Scene folder to write (scene.json, static.ply, actors/, actors.json)")->required();
  cmd->add_option("--source", c->source, "Static points from: lidar, depth (the frames' depth maps), points (the "
                                          "dataset's point cloud); auto: the first the dataset has")
      ->check(CLI::IsMember({"auto", "lidar", "depth", "points"}))
      ->capture_default_str();
  cmd->add_option("--stride", c->stride, "--source depth: one point every N pixels in x and y")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--opacity", c->scene.base.opacity, "Opacity of the new Gaussians")
      ->check(CLI::Range(0.01, 0.99))
      ->capture_default_str();
  cmd->add_option("--surfels", c->scene.base.surfel_neighbours,
                  "Flatten each Gaussian onto the plane of its K nearest points where they lie on one (0: spheres)")
      ->check(CLI::IsMember({0}) | CLI::Range(3, 4096))
      ->capture_default_str();
  cmd->add_option("--sh-degree", c->scene.base.sh_degree, "SH degree of the model")->check(CLI::Range(0, 3))->capture_default_str();
  add_scene_part_options(*cmd, c->parts);
  cmd->add_option("--seed", c->scene.seed, "Seed (actors' surface points)")->capture_default_str();
  add_load_options(*cmd, c->load);
  add_threads_option(*cmd, c->threads);
  cmd->callback([c] {
    model::configure_threads(c->threads);
    const auto t0 = std::chrono::steady_clock::now();
    io::Dataset ds = io::load_dataset(c->data, c->load);
    apply_scene_parts(c->parts, ds, c->scene);
    const model::SceneModel scene = build(ds, *c);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    model::write_scene_folder(c->out, scene, ds);
    std::printf("built %lld Gaussians (%lld actors) in %.2f s (loading included)\nwrote %s/scene.json\n",
                static_cast<long long>(scene.gaussians.size()), static_cast<long long>(scene.actors.num_actors()),
                seconds, c->out.c_str());
  });
}

}  // namespace ttgs::app
