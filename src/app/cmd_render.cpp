// `ttgs render --ply F | --scene S --data PATH --out DIR [--split train|test|all] [--downscale K] [--time T]
// [--shift X,Y,Z] [--edit E]...`: one PNG per view.
#include <c10/core/GradMode.h>
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "app/commands.hpp"
#include "app/scene_inputs.hpp"
#include "model/threads.hpp"
#include "core/error.hpp"
#include "core/progress.hpp"
#include "eval/evaluate.hpp"
#include "io/actors_json.hpp"
#include "io/image_io.hpp"
#include "model/tensor_image.hpp"
#include "render/scene_view.hpp"

namespace ttgs::app {

void add_render_command(CLI::App& root) {
  struct Options {
    SceneInputs scene;
    std::string out;
    double time = NAN;
    std::vector<double> shift;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = root.add_subcommand("render", "Render a 3DGS scene into a dataset's cameras, one PNG per view");
  add_scene_options(*cmd, o->scene);
  cmd->add_option("--out", o->out, "Output folder (created if missing)")->required();
  cmd->add_option("--time", o->time, "Render every view at this time (seconds; the nearest timestamp)");
  cmd->add_option("--shift", o->shift, "Move every camera by X,Y,Z (world units), e.g. a lane change")
      ->delimiter(',')->expected(3);
  cmd->callback([o] {
    model::configure_threads(o->scene.threads);
    o->scene.load.require_training_frames = false;  // reading frames needs no training split
    o->scene.load.load_pixels = false;  // rendering needs the cameras only (every file is still checked)
    const eval::Split split = eval::parse_split(o->scene.split);
    io::Dataset ds = io::load_dataset(o->scene.data, o->scene.load);
    const model::SceneModel scene = load_scene_model(o->scene, ds);
    if (std::isfinite(o->time)) ds = io::at_timestamp(ds, io::nearest_timestamp(ds.timestamps, o->time));
    if (!o->shift.empty()) ds = io::shifted(ds, {o->shift[0], o->shift[1], o->shift[2]});
    const std::vector<size_t> frames = eval::split_frames(ds, split, o->scene.data);
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::create_directories(o->out, ec);
    if (!fs::is_directory(o->out)) throw InputError(o->out, "cannot create the output folder");
    Progress progress("rendering", int64_t(frames.size()));
    for (size_t i : frames) {
      std::string name = fs::path(ds.frames[i].name).replace_extension(".png").string();
      std::replace(name.begin(), name.end(), '/', '_');
      at::Tensor rgb;
      {
        c10::NoGradGuard no_grad;
        rgb = render::render_view(scene, ds, i, {}).rgb.clamp(0, 1);
      }
      io::write_png((fs::path(o->out) / name).string(), model::from_tensor(rgb));
      progress.advance();
    }
    progress.finish();
    std::printf("wrote %zu images to %s\n", frames.size(), o->out.c_str());
  });
}

}  // namespace ttgs::app
