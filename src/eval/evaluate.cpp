#include "eval/evaluate.hpp"

#include <c10/core/GradMode.h>
#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "eval/metrics.hpp"
#include "eval/regions.hpp"
#include "model/tensor_image.hpp"
#include "render/scene_view.hpp"

namespace ttgs::eval {

Split parse_split(const std::string& name) {
  if (name == "train") return Split::Train;
  if (name == "test") return Split::Test;
  if (name == "all") return Split::All;
  throw InputError("--split", "unknown split '" + name + "' (train, test or all)");
}

std::vector<size_t> split_frames(const io::Dataset& ds, Split split, const std::string& what) {
  std::vector<size_t> frames;
  if (split == Split::Train) frames = ds.train;
  else if (split == Split::Test) frames = ds.test;
  else
    for (size_t i = 0; i < ds.frames.size(); ++i) frames.push_back(i);
  if (frames.empty())
    throw InputError(what, std::string("the dataset has no ") + (split == Split::Test ? "test" : split == Split::Train ? "training" : "") +
                               " frames for this split (try --split all)");
  return frames;
}

const char* const kLpipsUnavailable = "unavailable: no TorchScript LPIPS model given (--lpips MODEL.pt)";

std::string EvalReport::to_json() const {
  nlohmann::json per = nlohmann::json::array();
  for (const ImageScore& s : images) {
    per.push_back({{"name", s.name}, {"psnr", s.psnr}, {"ssim", s.ssim}});
    if (has_lpips) per.back()["lpips"] = s.lpips;
  }
  nlohmann::json j{{"psnr", psnr}, {"ssim", ssim}, {"num_images", images.size()}, {"per_image", per}};
  if (has_lidar) {
    j["depth_median_abs_rel"] = std::isfinite(depth_median_abs_rel) ? nlohmann::json(depth_median_abs_rel) : nlohmann::json(nullptr);
    j["lidar_returns"] = lidar_returns;
  }
  if (has_actors) {
    const auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
    j["dynamic_psnr"] = number(dynamic_psnr);
    j["static_psnr"] = number(static_psnr);
    for (size_t k = 0; k < images.size(); ++k) {
      per[k]["dynamic_psnr"] = number(images[k].dynamic_psnr);
      per[k]["static_psnr"] = number(images[k].static_psnr);
    }
    j["per_image"] = per;
  }
  if (has_lpips) j["lpips"] = lpips;
  else j["lpips"] = nullptr, j["lpips_note"] = kLpipsUnavailable;
  return j.dump();
}

at::Tensor render_frame(const model::Gaussians& g, const io::Frame& f, const render::RenderSettings& s) {
  c10::NoGradGuard no_grad;
  return render::render(g, f.camera, s).rgb.clamp(0, 1);
}

EvalReport evaluate(const model::Gaussians& g, const io::Dataset& ds, const std::vector<size_t>& frames,
                    const render::RenderSettings& settings, const LpipsModel* lpips) {
  return evaluate(model::static_scene(g), ds, frames, settings, lpips);
}

namespace {
// Mean of the finite values (NaN when none).
double finite_mean(const std::vector<double>& values) {
  double sum = 0;
  int count = 0;
  for (double v : values)
    if (std::isfinite(v)) sum += v, ++count;
  return count ? sum / count : NAN;
}
}  // namespace

namespace {
// |rendered depth − LiDAR depth| / LiDAR depth for the returns of the frame's timestamp that fall in its image where
// the render is covered (alpha > 0.5; the rendered depth is the mean depth of the covered pixel).
void lidar_depth_errors(const io::Dataset& ds, size_t frame, const render::RenderResult& view,
                        std::vector<double>& out) {
  const io::Frame& f = ds.frames[frame];
  const Camera& c = f.camera;
  for (const io::LidarSweep& sweep : ds.lidar) {
    if (sweep.time_index != f.time_index || sweep.size() == 0) continue;
    const at::Tensor p = at::from_blob(const_cast<float*>(sweep.points.data()), {int64_t(sweep.size()), 3}, at::kFloat)
                             .to(at::kDouble);
    const at::Tensor viewmat = render::viewmat_of(c, at::kDouble);
    const at::Tensor cam = p.matmul(viewmat.slice(0, 0, 3).slice(1, 0, 3).t()) + viewmat.slice(0, 0, 3).select(1, 3);
    const at::Tensor z = cam.select(1, 2);
    const at::Tensor u = (c.fx * cam.select(1, 0) / z + c.cx).floor(), v = (c.fy * cam.select(1, 1) / z + c.cy).floor();
    const at::Tensor in = (z > 0.5) & (u >= 0) & (v >= 0) & (u < c.width) & (v < c.height);
    const at::Tensor idx = (v.masked_select(in) * c.width + u.masked_select(in)).to(at::kLong);
    const at::Tensor alpha = view.alpha.reshape({-1}).index_select(0, idx).to(at::kDouble);
    const at::Tensor depth = view.depth.reshape({-1}).index_select(0, idx).to(at::kDouble) / alpha.clamp_min(1e-6);
    const at::Tensor lidar = z.masked_select(in);
    const at::Tensor covered = alpha > 0.5;
    const at::Tensor rel = ((depth - lidar).abs() / lidar).masked_select(covered).contiguous();
    out.insert(out.end(), rel.data_ptr<double>(), rel.data_ptr<double>() + rel.numel());
  }
}
}  // namespace

EvalReport evaluate(const model::SceneModel& scene, const io::Dataset& ds, const std::vector<size_t>& frames,
                    const render::RenderSettings& settings, const LpipsModel* lpips) {
  EvalReport r;
  r.has_lpips = lpips != nullptr;
  r.has_actors = !ds.actors.empty();
  std::vector<double> depth_errors;
  Progress progress("evaluating", int64_t(frames.size()));
  for (size_t i : frames) {
    if (!io::has_pixels(ds.frames[i])) throw std::invalid_argument("evaluate: dataset loaded without pixels");
    std::optional<io::Frame> decoded;
    const io::Frame& f = io::pixels_of(ds.frames[i], decoded, false);  // decoded now when loaded lazily
    render::RenderResult view;
    {
      c10::NoGradGuard no_grad;
      view = render::render_view(scene, ds, i, settings);
    }
    const at::Tensor rendered = view.rgb.clamp(0, 1);
    if (!ds.lidar.empty()) lidar_depth_errors(ds, i, view, depth_errors);
    const at::Tensor photo = model::to_tensor(f.image);
    const at::Tensor mask = f.mask && model::uses_masks(ds, scene) ? model::to_tensor(*f.mask) : at::Tensor();
    ImageScore score{f.name, psnr(rendered, photo, mask), ssim(rendered, photo),
                     lpips ? lpips->distance(rendered, photo) : 0.0};
    if (r.has_actors) {
      const at::Tensor boxes = actor_box_mask(ds, i, f.camera);
      const at::Tensor valid = mask.defined() ? mask : at::ones_like(boxes);
      if ((boxes * valid).sum().item<double>() > 0) score.dynamic_psnr = psnr(rendered, photo, boxes * valid);
      if (((1 - boxes) * valid).sum().item<double>() > 0) score.static_psnr = psnr(rendered, photo, (1 - boxes) * valid);
    }
    r.images.push_back(score);
    progress.advance();
  }
  progress.finish();
  std::vector<double> dynamic, stat;
  for (const ImageScore& s : r.images) {
    r.psnr += s.psnr / double(r.images.size());
    r.ssim += s.ssim / double(r.images.size());
    r.lpips += s.lpips / double(r.images.size());
    dynamic.push_back(s.dynamic_psnr);
    stat.push_back(s.static_psnr);
  }
  r.dynamic_psnr = finite_mean(dynamic);
  r.static_psnr = finite_mean(stat);
  r.has_lidar = !ds.lidar.empty();
  r.lidar_returns = depth_errors.size();
  if (!depth_errors.empty()) {
    std::nth_element(depth_errors.begin(), depth_errors.begin() + long(depth_errors.size() / 2), depth_errors.end());
    r.depth_median_abs_rel = depth_errors[depth_errors.size() / 2];
  }
  return r;
}

}  // namespace ttgs::eval
