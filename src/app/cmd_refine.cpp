// `ttgs refine --data PATH --init PLY|SCENE --out DIR ...`: test-time refinement of cameras, then actor boxes (4D
// scenes), then Gaussian attributes.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include "app/commands.hpp"
#include "app/scene_inputs.hpp"
#include "core/error.hpp"
#include "io/actors_json.hpp"
#include "io/file_util.hpp"
#include "model/actors.hpp"
#include "model/threads.hpp"
#include "refine/ablation.hpp"
#include "refine/depth_prior.hpp"
#include "refine/outputs.hpp"

namespace ttgs::app {
namespace {

// "a.png,b.png" or "0,5,9" (indices into the dataset's frames) -> frame indices.
std::vector<size_t> parse_frames(const std::string& list, const io::Dataset& ds) {
  std::vector<size_t> frames;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    size_t found = ds.frames.size();
    for (size_t i = 0; i < ds.frames.size(); ++i)
      if (ds.frames[i].name == item) found = i;
    if (found == ds.frames.size() && item.find_first_not_of("0123456789") == std::string::npos && item.size() < 9)
      found = std::stoul(item);
    if (found >= ds.frames.size()) throw InputError("--val", "no frame '" + item + "' in " + ds.path);
    frames.push_back(found);
  }
  return frames;
}

}  // namespace

void add_refine_command(CLI::App& root) {
  struct Options {
    std::string data, out, init, stages = "pose,actors,gs", attrs = "opacity,color,rotation", val, depth, depth_model;
    std::string parts = "static,actors,distant,appearance", pose_mode = "rig";
    bool no_val = false, depth_disparity = false, ablation = false;
    io::LoadOptions load;
    refine::RefineOptions refine;
    int threads = 0;
  };
  auto o = std::make_shared<Options>();
  refine::RefineOptions& r = o->refine;
  CLI::App* cmd = root.add_subcommand("refine", "Refine an existing reconstruction at test time: cameras, then Gaussians");
  cmd->add_option("--data", o->data, "Dataset folder, transforms.json, or COLMAP model")->required();
  cmd->add_option("--init", o->init, "What to refine: a 3DGS .ply, or a scene folder (or its scene.json) written by "
                                      "`ttgs init`, `ttgs fit` or `ttgs refine`")->required();
  cmd->add_option("--out", o->out, "Output folder (scene.ply or the scene folder, cameras.json, transforms.json, "
                                    "actors.json with the refined tracks, report.json)")->required();
  cmd->add_option("--stages", o->stages, "Stages to run, in this order: pose, actors (scenes with actors), gs")
      ->capture_default_str();
  cmd->add_option("--steps-pose", r.steps_pose, "Steps of the camera stage")->capture_default_str();
  cmd->add_option("--steps-actors", r.steps_actors, "Steps of the actor stage")->capture_default_str();
  cmd->add_option("--pose-mode", o->pose_mode, "rig: one correction per timestamp for all its cameras; frame: one per frame")
      ->check(CLI::IsMember({"rig", "frame"}))
      ->capture_default_str();
  cmd->add_option("--parts", o->parts, "Parts the Gaussian stage changes: static,actors,distant,appearance")
      ->capture_default_str();
  cmd->add_flag("--no-lidar-registration{false}", r.lidar_registration,
                "Camera stage: skip registering the cameras on the static LiDAR returns before searching on renders");
  cmd->add_flag("--no-track-smoothing{false}", r.smooth_tracks,
                "Actor stage: leave the tracks as fitted and searched (default: smoothed over time)");
  cmd->add_option("--steps-gs", r.steps_gs,
                  "Steps of the Gaussian stage (default: 50 passes over the training frames, e.g. 150 steps of 18 "
                  "with 54 training frames, 50 with 18 or fewer)")
      ->check(non_negative_whole());
  cmd->add_option("--frames-per-step", r.frames_per_step,
                  "Gaussian stage: training frames rendered per step, each once per epoch (0: all every step)")
      ->capture_default_str();
  cmd->add_option("--attrs", o->attrs, "Attributes of the Gaussian stage: opacity,color,rotation[,xyz,scale]")
      ->capture_default_str();
  cmd->add_option("--lr-pose", r.lr_pose_rotation, "Camera rotation step size in the Gaussian stage (radians, times 0.1 there)")->capture_default_str();
  cmd->add_option("--lr-pose-translation", r.lr_pose_translation, "Camera translation step size in the Gaussian stage (x scene extent, times 0.1 there)")
      ->capture_default_str();
  cmd->add_option("--lr-opacity", r.lr.opacity, "Opacity learning rate")->capture_default_str();
  cmd->add_option("--lr-color", r.lr.sh_dc, "Colour (SH DC) learning rate; higher bands get 1/20")->capture_default_str();
  cmd->add_option("--lr-rotation", r.lr.quats, "Rotation learning rate")->capture_default_str();
  cmd->add_option("--lr-xyz", r.lr.means, "Position learning rate (x scene extent)")->capture_default_str();
  cmd->add_option("--lr-scale", r.lr.log_scales, "Log-scale learning rate")->capture_default_str();
  cmd->add_option("--depth", o->depth, "Folder of depth priors: <image stem>.npy or .png per frame");
  cmd->add_option("--depth-model", o->depth_model, "TorchScript monocular depth model: (1,3,H,W) RGB -> depth map");
  cmd->add_flag("--depth-disparity", o->depth_disparity, "The depth model outputs disparity, not depth");
  cmd->add_option("--depth-weight", r.depth_weight, "Weight of the depth-prior loss")->capture_default_str();
  cmd->add_option("--ransac-iters", r.ransac.iterations, "RANSAC hypotheses per alignment")->capture_default_str();
  cmd->add_option("--ransac-threshold", r.ransac.inlier_threshold, "Inlier threshold (fraction of the median disparity)")
      ->capture_default_str();
  cmd->add_option("--ransac-sample", r.ransac.sample_size, "Pixels per RANSAC hypothesis")->capture_default_str();
  cmd->add_flag("--sky-fusion", r.sky_fusion,
                "Take sky out of the depth prior's alignment and loss: grown from the top where prior and model agree, "
                "stopped by strong image edges");
  cmd->add_option("--sky-edge", r.sky.edge_threshold, "Sky fusion: luminance jump between neighbours that stops the growth")
      ->capture_default_str();
  cmd->add_option("--sky-far", r.sky.far_disparity,
                  "Sky fusion: the prior calls sky what has no value or a disparity below this fraction of its median")
      ->capture_default_str();
  cmd->add_option("--val", o->val, "Validation frames (names or indices, comma-separated; default: the test split)");
  cmd->add_flag("--no-val", o->no_val, "No validation frames (no rollback guard)");
  cmd->add_flag("--ablation", o->ablation,
                "Run the ladder (start; pose with bilinear / nearest masks; + actors; + Gaussians without xyz/scale; + "
                "Gaussians full), each row from the one before; write ablation.json and ablation.md, and the outputs "
                "of the row best on the held-out frames");
  cmd->add_option("--patience", r.patience,
                  "Stop a stage after this many steps without improvement (the Gaussian stage: passes over the "
                  "training frames)")
      ->capture_default_str();
  add_load_options(*cmd, o->load);
  cmd->add_option("--seed", r.ransac.seed, "Seed (RANSAC sampling)")->capture_default_str();
  add_threads_option(*cmd, o->threads);
  cmd->callback([o] {
    model::configure_threads(o->threads);
    refine::RefineOptions& r = o->refine;
    r.stage_pose = r.stage_actors = r.stage_gs = false;
    std::stringstream ss(o->stages);
    for (std::string s; std::getline(ss, s, ',');) {
      if (s == "pose") r.stage_pose = true;
      else if (s == "actors") r.stage_actors = true;
      else if (s == "gs") r.stage_gs = true;
      else throw InputError("--stages", "unknown stage '" + s + "' (pose, actors, gs)");
    }
    if (!r.stage_pose && !r.stage_actors && !r.stage_gs) throw InputError("--stages", "no stage selected");
    r.attrs = refine::parse_attributes(o->attrs);
    r.parts = refine::parse_parts(o->parts);
    r.pose_mode = o->pose_mode == "frame" ? refine::PoseMode::kFrame : refine::PoseMode::kRig;
    if (r.ransac.sample_size < 2) throw InputError("--ransac-sample", "must be at least 2");
    if (r.sky_fusion && o->depth.empty() && o->depth_model.empty())
      throw InputError("--sky-fusion", "needs a depth prior (--depth or --depth-model)");
    if (!(r.sky.edge_threshold > 0) || !(r.sky.far_disparity >= 0))
      throw InputError("--sky-edge/--sky-far", "must be positive");
    if (r.ransac.iterations < 1) throw InputError("--ransac-iters", "must be at least 1");
    if (!(r.ransac.inlier_threshold > 0)) throw InputError("--ransac-threshold", "must be positive");
    if (!o->depth.empty() && !o->depth_model.empty()) throw InputError("--depth", "give --depth or --depth-model, not both");
    const io::Dataset ds = io::load_dataset(o->data, o->load);
    SceneInputs init;
    init.scene = o->init;  // a splat file or a scene folder: load_scene_model tells them apart
    const model::SceneModel start = load_scene_model(init, ds);
    r.val = o->no_val ? std::vector<size_t>{} : o->val.empty() ? ds.test : parse_frames(o->val, ds);
    refine::ReportContext context{o->init, {}};
    std::vector<size_t> all(ds.frames.size());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    if (!o->depth.empty()) {
      r.depth_priors = refine::read_depth_priors(ds, all, o->depth);
      context.depth_source = {"files", o->depth};
    } else if (!o->depth_model.empty()) {
      r.depth_priors = refine::predict_depth_priors(ds, all, o->depth_model, o->depth_disparity);
      context.depth_source = {"model", o->depth_model};
    }
    if (o->ablation) {
      const std::vector<refine::AblationRow> rows = refine::run_ablation(ds, start, r);
      const refine::AblationRow& best = rows[refine::best_row(rows)];
      refine::write_refine_outputs(o->out, best.result, r, ds, context);
      io::write_file_atomic(io::join_path(o->out, "ablation.json"), refine::ablation_json(rows) + "\n");
      for (size_t k = 0; k < rows.size(); ++k) {  // every row's cameras and tracks, to compare rows against truth
        const std::string dir = io::join_path(o->out, "rows/" + std::to_string(k));
        std::filesystem::create_directories(dir);
        io::write_file_atomic(io::join_path(dir, "transforms.json"),
                              refine::refined_transforms_json(ds, rows[k].result, dir) + "\n");
        if (!ds.actors.empty() && rows[k].result.scene.actors.num_actors() > 0)
          io::write_actors_json(io::join_path(dir, "actors.json"), model::tracks_of(rows[k].result.scene.actors, ds.actors),
                                ds.timestamps);
      }
      io::write_file_atomic(io::join_path(o->out, "ablation.md"), refine::ablation_table(rows));
      std::printf("%s\nkept the row \"%s\"; wrote %s/ablation.json, ablation.md and rows/N/ (cameras, tracks)\n",
                  refine::ablation_table(rows).c_str(), best.name.c_str(), o->out.c_str());
    write_run_report(o->out);
      return;
    }
    const refine::RefineResult result = refine::refine(ds, start, r);
    refine::write_refine_outputs(o->out, result, r, ds, context);
    std::printf("refined %zu frames in %.1f s: train PSNR %.2f -> %.2f dB", result.train.size(), result.time_s,
                result.before_train.psnr, result.after_train.psnr);
    if (!result.before_val.images.empty())
      std::printf(", validation PSNR %.2f -> %.2f dB", result.before_val.psnr, result.after_val.psnr);
    std::printf("\nwrote %s/%s, transforms.json and report.json\n", o->out.c_str(),
                model::is_plain_splat(result.scene) ? "scene.ply" : "scene.json");
    write_run_report(o->out);
  });
}

}  // namespace ttgs::app
