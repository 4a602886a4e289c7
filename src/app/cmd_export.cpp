// `ttgs export --scene S --time T --out frame.ply [--edit E]...`: one timestamp of a scene folder baked into one
// standard 3DGS PLY (actors placed, absent actors dropped) that any viewer opens.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "io/actors_json.hpp"
#include "io/ply.hpp"
#include "model/scene_files.hpp"

namespace ttgs::app {

void add_export_command(CLI::App& root) {
  struct Options {
    std::string scene, out;
    double time = 0;
    std::vector<std::string> edits;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = root.add_subcommand("export", "Bake one timestamp of a scene folder into a standard 3DGS .ply");
  cmd->add_option("--scene", o->scene, "Scene folder written by `ttgs fit` (or its scene.json)")->required();
  cmd->add_option("--time", o->time, "Time in seconds (the nearest timestamp)")->capture_default_str();
  cmd->add_option("--out", o->out, "Output .ply")->required();
  cmd->add_option("--edit", o->edits, "remove:ID or move:ID:dx,dy,dyaw (metres, degrees, box frame); repeatable");
  cmd->callback([o] {
    const model::LoadedScene loaded = model::read_scene_folder(o->scene);
    model::SceneModel scene = loaded.scene;
    for (const std::string& e : o->edits) {
      if (!scene.dynamic()) throw InputError("--edit", "the scene has no actors");
      model::apply_edit(scene.actors, io::parse_actor_edit(e));
    }
    if (loaded.timestamps.empty()) throw InputError(o->scene, "the scene lists no timestamps");
    const int k = io::nearest_timestamp(loaded.timestamps, o->time);
    const model::Gaussians g = model::bake_at(scene, k);
    io::write_splat_ply(o->out, model::to_splat_data(g));
    std::printf("wrote %s: %lld Gaussians at t = %.4f s (timestamp %d)\n", o->out.c_str(),
                static_cast<long long>(g.size()), loaded.timestamps[size_t(k)], k);
  });
}

}  // namespace ttgs::app
