#include "learn/lift.hpp"

#include <algorithm>

#include "loss/photometric.hpp"
#include "render/rasterizer.hpp"

namespace ttgs::learn {

at::Tensor render_view(const model::Gaussians& g, const View& v) {
  render::RenderSettings settings;
  settings.config.sh_degree = 0;
  return render::render(g, v.camera, settings).rgb;
}

at::Tensor view_loss(const model::Gaussians& g, const View& v, double ssim_lambda) {
  return loss::masked_photometric(render_view(g, v), v.photo, v.mask, ssim_lambda);
}

at::Tensor normalize_gradient(const at::Tensor& g) {
  const int64_t c = g.size(1);
  const std::vector<int64_t> bounds{kPosition, kLogScale, kQuaternion, kColor, kOpacity, kGaussianChannels, c};
  std::vector<double> rms;
  double reference = 0;  // the largest RMS of the dimensionless groups (all but positions)
  for (size_t k = 0; k + 1 < bounds.size(); ++k) {
    rms.push_back(bounds[k] < bounds[k + 1] ? g.slice(1, bounds[k], bounds[k + 1]).pow(2).mean().sqrt().item<double>()
                                            : 0.0);
    if (k > 0) reference = std::max(reference, rms.back());
  }
  std::vector<at::Tensor> parts;
  for (size_t k = 0; k + 1 < bounds.size(); ++k) {
    if (bounds[k] >= bounds[k + 1]) continue;
    // A group whose gradient is only rounding noise (rotations of round Gaussians) stays near 0 instead of being
    // blown up to unit size: its divisor is at least kGradientFloor times the reference.
    const double divisor = k == 0 ? rms[0] : std::max(rms[k], kGradientFloor * reference);
    const at::Tensor part = g.slice(1, bounds[k], bounds[k + 1]);
    parts.push_back(divisor > 0 ? (part / divisor).clamp(-kGradientClip, kGradientClip) : at::zeros_like(part));
  }
  return at::cat(parts, 1);
}

LiftedGradient lift_gradients(const at::Tensor& state, const Decoder& decoder, const std::vector<View>& views,
                              double ssim_lambda, bool differentiate_decoder) {
  const at::Tensor s = state.detach().requires_grad_(true);
  const Decoder fixed{decoder.weight.detach(), decoder.bias.detach()};
  const model::Gaussians g = to_gaussians((differentiate_decoder ? decoder : fixed).decode(s));
  LiftedGradient out;
  for (const View& v : views) {
    const at::Tensor loss = view_loss(g, v, ssim_lambda);
    out.loss += loss.item<double>();
    // The decoded Gaussians are shared by every view: keep their graph; each view's own part goes with `loss`.
    loss.backward(/*gradient=*/{}, /*retain_graph=*/true);
  }
  out.raw = s.grad().defined() ? s.grad().detach() : at::zeros_like(s);
  out.normalized = normalize_gradient(out.raw / double(views.size()));
  return out;
}

}  // namespace ttgs::learn
