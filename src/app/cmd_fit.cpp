// `ttgs fit --data PATH --out DIR ...`: per-scene optimization, then scene.ply, cameras.json and report.json;
// DIR/checkpoint.ttgs along the way.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

#include "app/commands.hpp"
#include "model/scene_model.hpp"
#include "app/fit_inputs.hpp"
#include "core/error.hpp"
#include "fit/outputs.hpp"
#include "io/file_util.hpp"

namespace ttgs::app {

void add_fit_command(CLI::App& root) {
  struct Options {
    FitInputs in;
    std::string out;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = root.add_subcommand("fit", "Fit a 3DGS scene to a dataset by per-scene optimization");
  add_fit_inputs(*cmd, o->in);
  cmd->add_option("--out", o->out, "Output folder (scene.ply, cameras.json, report.json)")->required();
  cmd->add_option("--checkpoint-every", o->in.fit.checkpoint_every,
                  "Write DIR/checkpoint.ttgs every N iterations (0: never)")
      ->capture_default_str();
  cmd->add_flag("--resume", o->in.fit.resume, "Continue from DIR/checkpoint.ttgs (same options and threads: bit-identical)");
  cmd->callback([o] {
    o->in.fit.checkpoint_path = io::join_path(o->out, "checkpoint.ttgs");
    const io::Dataset ds = prepare_fit(o->in);
    const FitStart start = fit_start(o->in, ds);
    std::error_code ec;
    std::filesystem::create_directories(o->out, ec);
    if (!io::is_directory(o->out)) throw InputError(o->out, "cannot create the output folder");
    const fit::FitResult r = run_fit(o->in, ds, start);
    fit::write_outputs(o->out, r, o->in.fit, ds);
    std::printf("fitted %lld Gaussians in %.1f s (%.1f ms/iteration); train PSNR %.2f dB",
                static_cast<long long>(r.gaussians.size()), r.time_s, 1000 * r.time_s / o->in.fit.iters, r.train.psnr);
    if (!r.test.images.empty()) std::printf(", test PSNR %.2f dB SSIM %.4f", r.test.psnr, r.test.ssim);
    std::printf("\nwrote %s/%s and %s/report.json\n", o->out.c_str(),
                model::is_plain_splat(r.scene) ? "scene.ply" : "scene.json (a scene folder)", o->out.c_str());
    write_run_report(o->out);
  });
}

}  // namespace ttgs::app
