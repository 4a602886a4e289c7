#include "refine/ablation.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace ttgs::refine {
namespace {

// The dataset seen through refined cameras (what the next row starts from).
io::Dataset with_cameras(const io::Dataset& ds, const std::vector<Camera>& cameras) {
  io::Dataset out = ds;
  for (size_t i = 0; i < out.frames.size(); ++i) out.frames[i].camera = cameras.at(i);
  return out;
}

RefineOptions only(const RefineOptions& base, bool pose, bool actors, bool gs) {
  RefineOptions o = base;
  o.stage_pose = pose;
  o.stage_actors = actors;
  o.stage_gs = gs;
  return o;
}

AblationRow row(const std::string& name, const io::Dataset& ds, const model::SceneModel& start,
                const RefineOptions& o) {
  AblationRow r{name, {}, {}, 0, refine(ds, start, o)};
  r.train = r.result.after_train;
  r.val = r.result.after_val;
  r.time_s = r.result.time_s;
  return r;
}

nlohmann::json metrics(const eval::EvalReport& r) {
  if (r.images.empty()) return nullptr;
  return {{"psnr", r.psnr}, {"ssim", r.ssim}};
}

// Every training camera of a camera stage's result was registered on LiDAR.
bool cameras_registered(const RefineResult& r) {
  const std::vector<FramePoseReport>& f = r.pose_frames;
  return !f.empty() && std::all_of(f.begin(), f.end(), [](const FramePoseReport& p) { return p.validation || p.registered; });
}

}  // namespace

std::vector<AblationRow> run_ablation(const io::Dataset& ds, const model::SceneModel& start, const RefineOptions& o) {
  std::vector<AblationRow> rows;
  {
    RefineOptions none = only(o, false, false, false);
    AblationRow r = row("start", ds, start, none);
    r.time_s = 0;
    rows.push_back(std::move(r));
  }
  RefineOptions bilinear = only(o, true, false, false);
  bilinear.nearest_masks = false;
  rows.push_back(row("pose, bilinear masks", ds, start, bilinear));
  RefineOptions nearest = only(o, true, false, false);
  nearest.nearest_masks = true;
  rows.push_back(row("+ pose (nearest masks)", ds, start, nearest));
  // Cameras this row registered on LiDAR stay where they are in the Gaussian rows, as in one refinement with every
  // stage (where the Refiner knows which groups it registered).
  const bool registered = cameras_registered(rows.back().result);
  if (start.dynamic()) {
    const RefineResult& prev = rows.back().result;
    rows.push_back(row("+ actors", with_cameras(ds, prev.cameras), prev.scene, only(o, false, true, false)));
  }
  const RefineResult base = rows.back().result;  // the gs rows both start here
  const io::Dataset seen = with_cameras(ds, base.cameras);
  RefineOptions partial = only(o, false, false, true);
  if (registered) partial.pose_lr_in_gs_stage = 0;
  partial.attrs = AttributeSet{};
  rows.push_back(row("+ gaussians (no xyz/scale)", seen, base.scene, partial));
  RefineOptions full = only(o, false, false, true);
  full.attrs = AttributeSet{true, true, true, true, true};
  if (registered) full.pose_lr_in_gs_stage = 0;
  rows.push_back(row("+ gaussians (full)", seen, base.scene, full));
  return rows;
}

std::string ablation_json(const std::vector<AblationRow>& rows) {
  nlohmann::json list = nlohmann::json::array();
  for (const AblationRow& r : rows)
    list.push_back({{"name", r.name}, {"train", metrics(r.train)}, {"val", metrics(r.val)}, {"time_s", r.time_s}});
  return nlohmann::json{{"rows", list}, {"best", rows.empty() ? nlohmann::json(nullptr) : nlohmann::json(rows[best_row(rows)].name)}}
      .dump(2);
}

std::string ablation_table(const std::vector<AblationRow>& rows) {
  std::string t = "| row | train PSNR | train SSIM | held-out PSNR | held-out SSIM | time (s) |\n|---|---|---|---|---|---|\n";
  char line[320], val_psnr[32] = "-", val_ssim[32] = "-";
  for (const AblationRow& r : rows) {
    if (!r.val.images.empty()) {
      std::snprintf(val_psnr, sizeof val_psnr, "%.2f", r.val.psnr);
      std::snprintf(val_ssim, sizeof val_ssim, "%.4f", r.val.ssim);
    }
    std::snprintf(line, sizeof line, "| %s | %.2f | %.4f | %s | %s | %.1f |\n", r.name.c_str(), r.train.psnr,
                  r.train.ssim, val_psnr, val_ssim, r.time_s);
    t += line;
  }
  return t;
}

size_t best_row(const std::vector<AblationRow>& rows) {
  size_t best = 0;
  const auto score = [](const AblationRow& r) { return r.val.images.empty() ? r.train.psnr : r.val.psnr; };
  for (size_t k = 1; k < rows.size(); ++k)
    if (score(rows[k]) > score(rows[best])) best = k;
  return best;
}

}  // namespace ttgs::refine
