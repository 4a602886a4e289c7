#include "fit/outputs.hpp"

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/memory.hpp"
#include "io/file_util.hpp"
#include "io/ply.hpp"
#include "io/transforms_json.hpp"
#include "model/scene_files.hpp"

namespace ttgs::fit {
namespace {
using json = nlohmann::json;

json number_or_null(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }
}  // namespace

std::string report_json(const FitResult& r, const FitOptions& o, const io::Dataset& ds) {
  json history = json::array();
  for (const HistoryEntry& h : r.history)
    history.push_back({{"step", h.step},
                       {"time_s", h.time_s},
                       {"num_gaussians", h.num_gaussians},
                       {"loss", h.loss},
                       {"test_psnr", number_or_null(h.test_psnr)},
                       {"test_ssim", number_or_null(h.test_ssim)}});
  json metrics = {{"train", json::parse(r.train.to_json())}};
  if (!r.test.images.empty()) metrics["test"] = json::parse(r.test.to_json());
  return json{{"iters", o.iters},
              {"steps", r.steps},
              {"time_s", r.time_s},
              {"seconds_per_iteration", r.time_s / std::max(1, o.iters)},
              {"num_gaussians", r.gaussians.size()},
              {"sh_degree", o.sh_degree},
              {"strategy", o.strategy_kind == StrategyKind::kMcmc ? "mcmc" : "default"},
              {"mode", o.full_batch ? "full-batch" : "stochastic"},
              {"warmup_steps", warmup_steps(o, ds)},
              {"rollbacks", r.rollbacks},
              {"peak_resident_mib", peak_resident_mib()},
              {"scene_model", {{"actors", r.scene.actors.num_actors()},
                               {"environment", r.scene.environment.defined()},
                               {"appearance", r.scene.appearance.defined()},
                               {"antialiased", r.scene.antialiased},
                               {"timestamps", ds.timestamps.size()},
                               {"cameras", ds.sensors.size()}}},
              {"seed", o.seed},
              {"data", ds.path},
              {"metrics", metrics},
              {"history", history}}
      .dump(2);
}

std::string cameras_json(const io::Dataset& ds) {
  json frames = json::array();
  for (size_t i = 0; i < ds.frames.size(); ++i) {
    const io::Frame& f = ds.frames[i];
    frames.push_back({{"file_path", f.name}, {"fl_x", f.camera.fx}, {"fl_y", f.camera.fy}, {"cx", f.camera.cx},
                      {"cy", f.camera.cy}, {"w", f.camera.width}, {"h", f.camera.height},
                      {"transform_matrix", io::matrix_rows(f.camera.camera_to_world_opengl())},
                      {"split", std::find(ds.test.begin(), ds.test.end(), i) != ds.test.end() ? "test" : "train"}});
  }
  return json{{"camera_model", "PINHOLE"}, {"convention", "transform_matrix: camera-to-world, OpenGL axes"},
              {"frames", frames}}
      .dump(2);
}

void write_outputs(const std::string& dir, const FitResult& r, const FitOptions& o, const io::Dataset& ds) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!io::is_directory(dir)) throw InputError(dir, "cannot create the output folder");
  const model::SceneModel& scene = r.scene;
  if (!model::is_plain_splat(scene)) {
    model::write_scene_folder(dir, scene, ds);
  } else {
    const SplatData splats = model::to_splat_data(r.gaussians);
    if (!splats.all_finite()) throw InputError(dir, "the fitted model holds NaN or infinite values; nothing written");
    io::write_splat_ply(io::join_path(dir, "scene.ply"), splats);
  }
  io::write_file_atomic(io::join_path(dir, "cameras.json"), cameras_json(ds) + "\n");
  io::write_file_atomic(io::join_path(dir, "report.json"), report_json(r, o, ds) + "\n");
}

}  // namespace ttgs::fit
