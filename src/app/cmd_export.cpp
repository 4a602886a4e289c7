// `ttgs export --scene S [--time T] [--edit E]... --out X.{ply,spz,splat,compressed.ply,glb}`: a splat file in
// another format, or one timestamp of a scene folder baked into one file (actors placed, absent actors dropped)
// that any viewer opens. The output format follows the name of --out.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "io/actors_json.hpp"
#include "io/file_util.hpp"
#include "io/splat_formats.hpp"
#include "model/scene_files.hpp"

namespace ttgs::app {
namespace {

struct ExportOptions {
  std::string scene, out;
  double time = 0;
  std::vector<std::string> edits;
  io::SpzOptions spz;
};

// What export writes: the splats, the tail of its message ("at t = ... s"), and whether they were trained
// antialiased (SPZ's header flag).
struct ExportedSplats {
  SplatData splats;
  std::string when;
  bool antialiased = false;
};

// The scene folder at one timestamp, with the edits applied.
ExportedSplats baked_scene(const ExportOptions& o) {
  const model::LoadedScene loaded = model::read_scene_folder(o.scene);
  model::SceneModel scene = loaded.scene;
  for (const std::string& e : o.edits) {
    if (!scene.dynamic()) throw InputError("--edit", "the scene has no actors");
    model::apply_edit(scene.actors, io::parse_actor_edit(e));
  }
  if (loaded.timestamps.empty()) throw InputError(o.scene, "the scene lists no timestamps");
  const int k = io::nearest_timestamp(loaded.timestamps, o.time);
  char when[96];
  std::snprintf(when, sizeof(when), " at t = %.4f s (timestamp %d)", loaded.timestamps[size_t(k)], k);
  return {model::to_splat_data(model::bake_at(scene, k)), when, scene.antialiased};
}

}  // namespace

void add_export_command(CLI::App& root) {
  auto o = std::make_shared<ExportOptions>();
  CLI::App* cmd = root.add_subcommand(
      "export", "Convert a splat file, or bake one timestamp of a scene folder, into .ply, .spz, .splat, "
                ".compressed.ply or .glb");
  CLI::Option* scene = cmd->add_option("--scene", o->scene,
                                       "A splat file (.ply, .spz, .splat, .compressed.ply, .glb) or a scene folder "
                                       "written by `ttgs fit` (or its scene.json)");
  cmd->add_option("--ply", o->scene, "The same as --scene (a splat file)")->excludes(scene);
  cmd->add_option("--time", o->time, "Scene folder: time in seconds (the nearest timestamp)")->capture_default_str();
  cmd->add_option("--out", o->out, "Output file; its name says the format")->required();
  cmd->add_option_function<std::vector<int>>(
         "--spz-sh-bits",
         [o](const std::vector<int>& bits) {
           if (bits.size() != 2) throw InputError("--spz-sh-bits", "give two bit counts: degree 1, degrees 2-3");
           o->spz = {bits[0], bits[1]};
         },
         "SPZ: bits per SH value for degree 1 and degrees 2-3, 1-8 (default 7,6; Niantic's writer: 5,4)")
      ->delimiter(',');
  cmd->add_option("--edit", o->edits, "remove:ID or move:ID:dx,dy,dyaw (metres, degrees, box frame); repeatable");
  cmd->callback([o] {
    if (o->scene.empty()) throw InputError("--scene", "give a splat file or a scene folder");
    if (!io::is_splat_file(o->out))
      throw InputError("--out", std::string("the name must say the format: ") + io::splat_file_kinds());
    const bool file = io::is_splat_file(o->scene);
    if (file && !o->edits.empty()) throw InputError("--edit", "needs a scene folder with actors (--scene)");
    const ExportedSplats e = file ? ExportedSplats{io::read_splats(o->scene), "", false} : baked_scene(*o);
    io::SpzOptions spz = o->spz;
    spz.antialiased = e.antialiased;
    io::make_parent_directories(o->out);
    io::write_splats(o->out, e.splats, spz);
    const io::SplatFileFormat format = *io::splat_file_format(o->out);
    std::printf("wrote %s (%s, %.2f MB): %zu Gaussians%s%s\n", o->out.c_str(), io::splat_format_name(format),
                double(io::file_size(o->out)) / 1e6, e.splats.count, e.when.c_str(),
                e.antialiased && format != io::SplatFileFormat::Spz
                    ? "; the scene was trained antialiased, and viewers without Mip-Splatting's opacity compensation "
                      "show small Gaussians slightly larger"
                    : "");
  });
}

}  // namespace ttgs::app
