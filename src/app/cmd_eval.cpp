// `ttgs eval --ply F | --scene S --data PATH [--split ...] [--downscale K] [--lpips MODEL.pt] [--json] [--out F]`: PSNR, SSIM (and LPIPS
// with a model) per image and their means.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>

#include "app/commands.hpp"
#include "app/scene_inputs.hpp"
#include "io/file_util.hpp"
#include "model/threads.hpp"
#include "eval/appearance_halves.hpp"
#include "eval/evaluate.hpp"

namespace ttgs::app {

void add_eval_command(CLI::App& root) {
  struct Options {
    SceneInputs scene;
    bool json = false;
    std::string lpips;
    std::string out;
    bool halves = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = root.add_subcommand("eval", "PSNR and SSIM of a 3DGS scene against a dataset's photos");
  add_scene_options(*cmd, o->scene);
  add_image_memory_option(*cmd, o->scene.load);
  cmd->add_flag("--json", o->json, "Print one JSON object {psnr, ssim, lpips, per_image: [...]}");
  cmd->add_option("--lpips", o->lpips, "TorchScript LPIPS model (without it LPIPS is reported as unavailable)");
  cmd->add_option("--out", o->out, "Write the JSON object to this file instead of printing (with --json: both)");
  cmd->add_flag("--appearance-halves", o->halves,
                "Score each image's right half only, plainly and after fitting its colour transform on its left half "
                "(NeRF-W's protocol for per-image appearance on held-out images)");
  cmd->callback([o] {
    model::configure_threads(o->scene.threads);
    o->scene.load.require_training_frames = false;  // reading frames needs no training split
    const eval::Split split = eval::parse_split(o->scene.split);
    const io::Dataset ds = io::load_dataset(o->scene.data, o->scene.load);
    const model::SceneModel scene = load_scene_model(o->scene, ds);
    const std::unique_ptr<eval::LpipsModel> lpips =
        o->lpips.empty() ? nullptr : std::make_unique<eval::LpipsModel>(o->lpips);
    if (o->halves) {
      const eval::HalfImageReport h = eval::evaluate_halves(scene, ds, eval::split_frames(ds, split, o->scene.data), {});
      if (!o->out.empty()) io::write_file_atomic(o->out, h.to_json() + "\n");
      if (o->json) std::printf("%s\n", h.to_json().c_str());
      if (!o->json && o->out.empty())
        std::printf("right halves of %zu images: PSNR %.3f dB as rendered, %.3f dB with the colour transform fitted on "
                    "the left half\n", h.images.size(), h.plain_psnr, h.fitted_psnr);
      return;
    }
    const eval::EvalReport r = eval::evaluate(scene, ds, eval::split_frames(ds, split, o->scene.data), {}, lpips.get());
    if (!o->out.empty()) io::write_file_atomic(o->out, r.to_json() + "\n");
    if (!o->out.empty() && !o->json) return;
    if (o->json) {
      std::printf("%s\n", r.to_json().c_str());
      return;
    }
    for (const auto& s : r.images) {
      std::printf("%-40s PSNR %7.3f dB  SSIM %.4f", s.name.c_str(), s.psnr, s.ssim);
      if (r.has_lpips) std::printf("  LPIPS %.4f", s.lpips);
      std::printf("\n");
    }
    std::printf("mean over %zu images: PSNR %.3f dB  SSIM %.4f  ", r.images.size(), r.psnr, r.ssim);
    if (r.has_actors) std::printf("dynamic PSNR %.3f dB  static PSNR %.3f dB  ", r.dynamic_psnr, r.static_psnr);
    if (r.has_lpips) std::printf("LPIPS %.4f\n", r.lpips);
    else std::printf("LPIPS %s\n", eval::kLpipsUnavailable);
  });
}

}  // namespace ttgs::app
