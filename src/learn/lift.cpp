#include "learn/lift.hpp"

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

LiftedGradient lift_gradients(const at::Tensor& state, const Decoder& decoder, const std::vector<View>& views,
                              double ssim_lambda) {
  const at::Tensor s = state.detach().requires_grad_(true);
  const Decoder fixed{decoder.weight.detach(), decoder.bias.detach()};
  const model::Gaussians g = to_gaussians(fixed.decode(s));
  LiftedGradient out;
  for (const View& v : views) {
    const at::Tensor loss = view_loss(g, v, ssim_lambda);
    out.loss += loss.item<double>();
    // The decoded Gaussians are shared by every view: keep their graph; each view's own part goes with `loss`.
    loss.backward(/*gradient=*/{}, /*retain_graph=*/true);
  }
  out.raw = s.grad().defined() ? s.grad().detach() : at::zeros_like(s);
  const at::Tensor scale = std::get<0>(out.raw.abs().max(0, /*keepdim=*/true));
  out.normalized = at::where(scale > 0, out.raw / scale.clamp_min(1e-30), at::zeros_like(out.raw));
  return out;
}

}  // namespace ttgs::learn
