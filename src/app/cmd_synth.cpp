// `ttgs synth --out DIR ...`: generate a synthetic scene with exact ground truth as a nerfstudio (or drivestudio)
// dataset.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <sstream>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "model/threads.hpp"
#include "synth/writer.hpp"

namespace ttgs::app {

void add_synth_command(CLI::App& root) {
  struct Options {
    synth::SynthOptions synth;
    std::string out, randomize = "textures,lighting,intrinsics";
    int threads = 0;
    synth::SensorEffects corruption;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = root.add_subcommand("synth", "Generate a synthetic scene (ray traced, with exact depth, masks, poses) as a nerfstudio dataset");
  cmd->add_option("--out", o->out, "Output folder (replaced if it holds an earlier synth output)")->required();
  cmd->add_option("--preset", o->synth.preset, "object: objects on a ground plane, orbit cameras; street: road, buildings, moving cars, sky")
      ->capture_default_str();
  cmd->add_option("--seed", o->synth.seed, "Seed of every random choice")->capture_default_str();
  cmd->add_option("--views", o->synth.views, "Training views (street: timestamps, each seen by every camera)")
      ->capture_default_str();
  cmd->add_option("--cameras", o->synth.cameras,
                  "street: cameras on the ego vehicle, 1-6 (front, front_left, front_right, left, right, rear)")
      ->capture_default_str();
  cmd->add_option("--novel", o->synth.novel, "Novel test views (half interpolated, half extrapolated)")->capture_default_str();
  cmd->add_option("--width", o->synth.width, "Image width")->capture_default_str();
  cmd->add_option("--height", o->synth.height, "Image height")->capture_default_str();
  cmd->add_option("--supersample", o->synth.supersample, "S: S x S samples per pixel")->capture_default_str();
  cmd->add_option("--randomize", o->randomize,
                  "Comma list of randomized aspects: textures, lighting, intrinsics, sensor; or all, none")
      ->capture_default_str();
  cmd->add_option("--scaffold-points,--points", o->synth.scaffold.points, "Scaffold point count")->capture_default_str();
  cmd->add_option("--point-noise", o->synth.scaffold.noise, "Scaffold position noise (sigma, fraction of the scene radius)")
      ->capture_default_str();
  cmd->add_option("--point-outliers", o->synth.scaffold.outliers, "Fraction of scaffold points replaced by outliers")
      ->capture_default_str();
  cmd->add_flag("--lidar", o->synth.scaffold.lidar, "LiDAR: street sweeps per timestamp (lidar/*.npy, listed in transforms.json) and the scaffold "
               "from scan rings along the camera path");
  CLI::Option* noise = cmd->add_option("--noise", o->corruption.noise_sigma,
                                       "Corrupt every view: Gaussian noise sigma (intensity units)");
  CLI::Option* blur = cmd->add_option("--blur", o->corruption.blur_sigma, "Corrupt every view: blur sigma (pixels)");
  CLI::Option* exposure = cmd->add_option("--exposure", o->corruption.exposure, "Corrupt every view: exposure factor");
  cmd->add_option("--edit", o->synth.edits,
                  "Also write edited/: the same views with an actor edited (remove:ID or move:ID:dx,dy,dyaw, metres "
                  "and degrees in the actor's box frame); repeatable");
  cmd->add_option("--layout", o->synth.layout,
                  "Files to write: nerfstudio (transforms.json, masks, depth, ...) or drivestudio (street: the "
                  "processed Waymo layout drivestudio/OmniRe, DGGT and STORM read; training timestamps only)")
      ->check(CLI::IsMember({"nerfstudio", "drivestudio"}))
      ->capture_default_str();
  cmd->add_option("--threads", o->threads, "Worker threads (0 = all cores)")->capture_default_str();
  cmd->callback([o, noise, blur, exposure] {
    if (noise->count() + blur->count() + exposure->count() > 0) {
      const synth::SensorEffects& c = o->corruption;
      if (!(c.noise_sigma >= 0 && c.noise_sigma <= 1) || !(c.blur_sigma >= 0 && c.blur_sigma <= 50) ||
          !(c.exposure > 0 && c.exposure <= 100))
        throw InputError("--noise/--blur/--exposure", "need noise in [0, 1], blur in [0, 50] px, exposure in (0, 100]");
      o->synth.fixed_sensor = c;
    }
    synth::RandomizationOptions r{false, false, false, false};
    std::stringstream list(o->randomize);
    for (std::string item; std::getline(list, item, ',');) {
      if (item == "all") r = {true, true, true, true};
      else if (item == "none" || item.empty()) continue;
      else if (item == "textures") r.textures = true;
      else if (item == "lighting") r.lighting = true;
      else if (item == "intrinsics") r.intrinsics = true;
      else if (item == "sensor") r.sensor = true;
      else throw InputError("--randomize", "unknown aspect '" + item + "' (textures, lighting, intrinsics, sensor, all, none)");
    }
    o->synth.randomize = r;
    model::configure_threads(o->threads);
    const synth::WriteSummary s = synth::write_synth_dataset(o->synth, o->out);
    std::printf("wrote %d images and %zu scaffold points to %s in %.1f s (rendering %.1f s)\n", s.images, s.points,
                o->out.c_str(), s.total_seconds, s.render_seconds);
  });
}

}  // namespace ttgs::app
