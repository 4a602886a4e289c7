#include "refine/outputs.hpp"

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/memory.hpp"
#include "fit/outputs.hpp"
#include "io/file_util.hpp"
#include "io/ply.hpp"
#include "io/transforms_json.hpp"
#include "model/scene_files.hpp"

namespace ttgs::refine {
namespace {
using json = nlohmann::json;
namespace fs = std::filesystem;

json metrics_json(const eval::EvalReport& r) { return {{"psnr", r.psnr}, {"ssim", r.ssim}, {"num_images", r.images.size()}}; }

std::string relative_to(const std::string& path, const std::string& dir) {
  return fs::absolute(path).lexically_normal().lexically_relative(fs::absolute(dir).lexically_normal()).generic_string();
}

}  // namespace

std::string refine_report_json(const RefineResult& r, const RefineOptions& o, const io::Dataset& ds,
                               const ReportContext& c) {
  json before = {{"train", metrics_json(r.before_train)}}, after = {{"train", metrics_json(r.after_train)}};
  if (!r.before_val.images.empty()) {
    before["val"] = metrics_json(r.before_val);
    after["val"] = metrics_json(r.after_val);
  }
  json poses = json::array();
  for (size_t i = 0; i < ds.frames.size(); ++i) {
    const PoseDifference d = pose_difference(ds.frames[i].camera, r.cameras[i]);
    poses.push_back({{"frame", ds.frames[i].name}, {"rotation_deg", d.rotation_deg}, {"translation", d.translation}});
  }
  json stages = json::array();
  for (const StageReport& s : r.stages)
    stages.push_back({{"name", s.name}, {"steps", s.steps}, {"best_step", s.best_step}, {"time_s", s.time_s},
                      {"start_loss", s.start_loss}, {"best_loss", s.best_loss}, {"stop_reason", s.stop_reason},
                      {"val_psnr", {{"start", s.val_start}, {"best", s.val_best}, {"last", s.val_last}, {"end", s.val_end}}},
                      {"frames_reset", s.frames_reset}});
  json pose_frames = json::array();
  for (const FramePoseReport& f : r.pose_frames)
    pose_frames.push_back({{"frame", ds.frames[f.frame].name}, {"validation", f.validation},
                           {"loss_start", f.loss_start}, {"loss_end", f.loss_end}, {"psnr_start", f.psnr_start},
                           {"psnr_end", f.psnr_end}, {"steps_accepted", f.accepted}, {"steps_undone", f.rejected}, {"renders", f.renders},
                           {"reset", f.reset}, {"registered_on_lidar", f.registered}});
  json depth = json::array();
  for (const DepthReport& d : r.depth)
    depth.push_back({{"frame", ds.frames[d.frame].name}, {"scale", d.scale}, {"shift", d.shift},
                     {"inlier_fraction", d.inlier_fraction},
                     {"sky_fraction", d.sky_fraction >= 0 ? json(d.sky_fraction) : json(nullptr)}});
  json actors = json::array();
  if (r.actor_corrections.defined()) {
    const at::Tensor c = r.actor_corrections.to(at::kDouble);
    const at::Tensor present = r.scene.actors.present.to(at::kDouble);
    for (int64_t k = 0; k < c.size(0); ++k) {
      const double n = std::max(1.0, present[k].sum().item<double>());
      const double shift = (c[k].narrow(1, 0, 2).norm(2, 1) * present[k]).sum().item<double>() / n;
      const double yaw = (c[k].select(1, 2).abs() * present[k]).sum().item<double>() / n;
      actors.push_back({{"id", r.scene.actors.ids[size_t(k)]}, {"mean_shift", shift}, {"mean_yaw_deg", yaw * 180 / M_PI}});
    }
  }
  json val = json::array(), train = json::array();
  for (size_t i : o.val) val.push_back(ds.frames[i].name);
  for (size_t i : r.train) train.push_back(ds.frames[i].name);
  return json{{"init", c.init_path},
              {"data", ds.path},
              {"time_s", r.time_s},
              {"peak_resident_mib", peak_resident_mib()},
              {"num_gaussians", r.gaussians.size()},
              {"attributes", to_string(o.attrs)},
              {"parts", to_string(o.parts)},
              {"pose_mode", o.pose_mode == PoseMode::kRig ? "rig" : "frame"},
              {"train_frames", train},
              {"validation_frames", val},
              {"metrics", {{"before", before}, {"after", after}}},
              {"poses", poses},
              {"pose_convention", "rotation_deg / translation: angle and camera-centre distance between input and "
                                  "refined camera; corrections are left perturbations of world-to-camera"},
              {"stages", stages},
              {"camera_stage_frames", pose_frames},
              {"restored_input", r.restored_input},
              {"actor_corrections", actors},
              {"actor_convention", "mean over tracked timestamps of the box shift (box x/y axes, scene units) and turn "
                                   "(about box z) the actor stage applied"},
              {"held_out_note", "validation frames' cameras and actor poses are refined on their own images; their "
                                "pixels never change the Gaussians"},
              {"depth_prior", c.depth_source.empty() ? json(nullptr) : json(c.depth_source)},
              {"depth_alignment", depth}}
      .dump(2);
}

std::string refined_transforms_json(const io::Dataset& ds, const RefineResult& r, const std::string& out_dir) {
  const io::DatasetSource src = io::read_dataset_source(ds.path);
  std::map<std::string, size_t> loaded;  // frame name -> index in ds
  for (size_t i = 0; i < ds.frames.size(); ++i) loaded[ds.frames[i].name] = i;
  std::map<std::string, std::string> renamed;  // old name -> path relative to out_dir
  json root;
  if (src.format == "colmap") {
    root = {{"camera_model", "OPENCV"}, {"frames", json::array()}};
  } else {
    root = json::parse(io::read_file(src.meta_path));
    if (root.contains("ply_file_path") && !src.points_path.empty())
      root["ply_file_path"] = relative_to(src.points_path, out_dir);
    if (root.contains("lidar") && root["lidar"].is_array())  // ttgs's LiDAR sweeps, re-anchored like the images
      for (json& sweep : root["lidar"])
        if (sweep.contains("file_path") && sweep["file_path"].is_string())
          sweep["file_path"] = relative_to(io::join_path(src.root, sweep["file_path"].get<std::string>()), out_dir);
  }
  json frames = json::array();
  for (size_t k = 0; k < src.frames.size(); ++k) {
    const io::FrameSource& fsrc = src.frames[k];
    const auto it = loaded.find(fsrc.name);
    if (it == loaded.end()) continue;  // a listed frame without an image: dropped
    const Camera& refined = r.cameras[it->second];
    json f = src.format == "colmap" ? json::object() : root["frames"][k];
    const std::string rel = relative_to(fsrc.image_path, out_dir);
    renamed[fsrc.name] = rel;
    f["file_path"] = rel;
    if (!fsrc.mask_path.empty()) f["mask_path"] = relative_to(fsrc.mask_path, out_dir);
    if (!fsrc.depth_path.empty()) f["depth_file_path"] = relative_to(fsrc.depth_path, out_dir);
    Camera pose = fsrc.camera;  // source intrinsics, refined pose
    pose.R = refined.R;
    pose.t = refined.t;
    f["transform_matrix"] = io::matrix_rows(pose.camera_to_world_opengl());
    if (src.format == "colmap") {
      const Distortion& d = fsrc.distortion;
      if (d.k4 != 0 || d.k5 != 0 || d.k6 != 0 || d.k7 != 0)
        throw InputError(ds.path, "its rational lens model cannot be written as transforms.json");
      f.update({{"fl_x", pose.fx}, {"fl_y", pose.fy}, {"cx", pose.cx}, {"cy", pose.cy}, {"w", pose.width},
                {"h", pose.height}, {"k1", d.k1}, {"k2", d.k2}, {"k3", d.k3}, {"p1", d.p1}, {"p2", d.p2}});
    }
    frames.push_back(f);
  }
  root["frames"] = frames;
  // Split lists name frames: follow the renaming; without lists, write the split that was used.
  for (const char* key : {"train_filenames", "val_filenames", "test_filenames"}) {
    if (!root.contains(key)) continue;
    json list = json::array();
    for (const json& n : root[key]) {
      if (!n.is_string()) continue;
      for (const auto& [name, rel] : renamed)  // as the loader matches them: the path, else the file name
        if (io::frame_name_matches(name, n.get<std::string>())) {
          list.push_back(rel);
          break;
        }
    }
    root[key] = list;
  }
  if (!root.contains("train_filenames")) {
    json train = json::array(), test = json::array();
    for (size_t i : ds.train) train.push_back(renamed[ds.frames[i].name]);
    for (size_t i : ds.test) test.push_back(renamed[ds.frames[i].name]);
    root["train_filenames"] = train;
    root["test_filenames"] = test;
  }
  return root.dump(2);
}

void write_refine_outputs(const std::string& dir, const RefineResult& r, const RefineOptions& o, const io::Dataset& ds,
                          const ReportContext& c) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!io::is_directory(dir)) throw InputError(dir, "cannot create the output folder");
  const bool plain = model::is_plain_splat(r.scene);
  const SplatData splats = model::to_splat_data(r.gaussians);
  if (plain && !splats.all_finite()) throw InputError(dir, "the refined model holds NaN or infinite values; nothing written");
  // Everything is composed before the first file is renamed into place.
  io::Dataset refined;
  refined.path = ds.path;
  refined.train = ds.train;
  refined.test = ds.test;
  for (size_t i = 0; i < ds.frames.size(); ++i) {
    refined.frames.emplace_back();
    refined.frames.back().name = ds.frames[i].name;
    refined.frames.back().camera = r.cameras[i];
  }
  const std::string cameras = fit::cameras_json(refined) + "\n";
  const std::string transforms = refined_transforms_json(ds, r, dir) + "\n";
  const std::string report = refine_report_json(r, o, ds, c) + "\n";
  if (plain) io::write_splat_ply(io::join_path(dir, "scene.ply"), splats);
  else model::write_scene_folder(dir, r.scene, ds);  // checks its tensors first; writes the refined tracks
  io::write_file_atomic(io::join_path(dir, "cameras.json"), cameras);
  io::write_file_atomic(io::join_path(dir, "transforms.json"), transforms);
  io::write_file_atomic(io::join_path(dir, "report.json"), report);
}

}  // namespace ttgs::refine
