#include "eval/appearance_halves.hpp"

#include <c10/core/GradMode.h>
#include <nlohmann/json.hpp>

#include "core/progress.hpp"
#include "eval/metrics.hpp"
#include "model/appearance.hpp"
#include "model/tensor_image.hpp"
#include "render/scene_view.hpp"

namespace ttgs::eval {

at::Tensor fit_affine_colour(const at::Tensor& rendered, const at::Tensor& photo, const at::Tensor& weight) {
  const at::Tensor w = weight.reshape({-1, 1}).to(at::kDouble);
  const at::Tensor x = at::cat({rendered.reshape({-1, 3}).to(at::kDouble), at::ones({w.size(0), 1}, at::kDouble)}, 1);
  const at::Tensor y = photo.reshape({-1, 3}).to(at::kDouble);
  // Normal equations (Xᵀ W X + λ I) M = Xᵀ W Y + λ I₀, with I₀ the identity transform: a tiny pull toward it.
  const double lambda = 1e-6 * std::max(1.0, w.sum().item<double>());
  const at::Tensor identity = at::cat({at::eye(3, at::kDouble), at::zeros({1, 3}, at::kDouble)}, 0);  // (4, 3)
  const at::Tensor lhs = x.t().matmul(x * w) + lambda * at::eye(4, at::kDouble);
  const at::Tensor rhs = x.t().matmul(y * w) + lambda * identity;
  return at::linalg_solve(lhs, rhs).t().to(at::kFloat).contiguous();  // (3, 4)
}

std::string HalfImageReport::to_json() const {
  nlohmann::json per = nlohmann::json::array();
  for (const HalfImageScore& s : images)
    per.push_back({{"name", s.name}, {"plain_psnr", s.plain_psnr}, {"fitted_psnr", s.fitted_psnr}});
  return nlohmann::json{{"protocol", "right half of each image; fitted: colour transform fitted on the left half"},
                        {"plain_psnr", plain_psnr}, {"fitted_psnr", fitted_psnr}, {"num_images", images.size()},
                        {"per_image", per}}
      .dump();
}

HalfImageReport evaluate_halves(const model::SceneModel& scene, const io::Dataset& ds, const std::vector<size_t>& frames,
                                const render::RenderSettings& settings) {
  c10::NoGradGuard no_grad;
  model::SceneModel bare = scene;  // the same model without its appearance transforms
  bare.appearance = at::Tensor();
  bare.appearance_trained.clear();
  HalfImageReport r;
  Progress progress("evaluating halves", int64_t(frames.size()));
  for (size_t i : frames) {
    if (!io::has_pixels(ds.frames[i])) throw std::invalid_argument("evaluate_halves: dataset loaded without pixels");
    std::optional<io::Frame> decoded;
    const io::Frame& f = io::pixels_of(ds.frames[i], decoded, false);
    const at::Tensor photo = model::to_tensor(f.image);
    const int64_t h = photo.size(0), w = photo.size(1);
    const at::Tensor left = (at::arange(w, at::kFloat) < float(w / 2)).to(at::kFloat).view({1, w, 1}).expand({h, w, 1});
    const at::Tensor valid = f.mask && model::uses_masks(ds, scene) ? model::to_tensor(*f.mask) : at::ones({h, w, 1});
    const at::Tensor right = (1 - left) * valid;
    const at::Tensor own = render::render_view(scene, ds, i, settings).rgb.clamp(0, 1);
    const at::Tensor base = render::render_view(bare, ds, i, settings).rgb;
    const at::Tensor fitted = model::apply_appearance(base, fit_affine_colour(base, photo, left * valid)).clamp(0, 1);
    r.images.push_back({f.name, psnr(own, photo, right), psnr(fitted, photo, right)});
    r.plain_psnr += r.images.back().plain_psnr / double(frames.size());
    r.fitted_psnr += r.images.back().fitted_psnr / double(frames.size());
    progress.advance();
  }
  progress.finish();
  return r;
}

}  // namespace ttgs::eval
