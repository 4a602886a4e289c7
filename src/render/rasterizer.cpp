#include "render/rasterizer.hpp"

#include <torch/csrc/autograd/custom_function.h>

#include <stdexcept>

#include "render/rasterize.hpp"

namespace ttgs::render {
namespace {
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

template <typename T>
struct Buffers {
  Projected<T> proj;
  TileBins bins;
  RasterOutput<T> out;
};

// What forward computes and backward reuses.
struct RasterState : torch::CustomClassHolder {
  Intrinsics intr;
  RasterConfig cfg;
  bool per_pixel_bg = false;
  Buffers<float> f;
  Buffers<double> d;
  at::Tensor radii, means2d;
  std::shared_ptr<at::Tensor> means2d_grad;
};

template <typename T>
at::Tensor to_tensor(const std::vector<T>& v, at::IntArrayRef shape) {
  return at::from_blob(const_cast<T*>(v.data()), shape, at::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value)).clone();
}

// A tensor that takes over an output buffer (no copy); the buffer is freed with the tensor's storage.
template <typename T>
at::Tensor adopt(OutputBuffer<T>&& v, at::IntArrayRef shape) {
  auto owner = std::make_shared<OutputBuffer<T>>(std::move(v));
  T* data = owner->data();
  return at::from_blob(data, shape, [owner](void*) mutable { owner.reset(); },
                       at::TensorOptions().dtype(c10::CppTypeToScalarType<T>::value));
}

template <typename T>
GaussianParams<T> params_of(const at::Tensor& means, const at::Tensor& log_scales, const at::Tensor& quats,
                            const at::Tensor& opacity_logits, const at::Tensor& sh_dc, const at::Tensor& sh_rest) {
  GaussianParams<T> p;
  p.n = means.size(0);
  p.sh_coeffs = int(sh_rest.size(1)) + 1;
  p.means = means.data_ptr<T>();
  p.log_scales = log_scales.data_ptr<T>();
  p.quats = quats.data_ptr<T>();
  p.opacity_logits = opacity_logits.data_ptr<T>();
  p.sh_dc = sh_dc.data_ptr<T>();
  p.sh_rest = sh_rest.data_ptr<T>();
  return p;
}

template <typename T>
variable_list forward_typed(RasterState& s, Buffers<T>& b, const variable_list& in) {
  const GaussianParams<T> p = params_of<T>(in[0], in[1], in[2], in[3], in[4], in[5]);
  project_forward(p, in[6].data_ptr<T>(), s.intr, s.cfg, b.proj);
  bin_gaussians(b.proj, s.intr, b.bins);
  rasterize_forward(b.proj, b.bins, s.intr, s.cfg, in[7].data_ptr<T>(), s.per_pixel_bg, b.out);
  const int64_t H = s.intr.height, W = s.intr.width;
  s.radii = to_tensor(b.proj.radius, {p.n});
  s.means2d = to_tensor(b.proj.mean2d, {p.n, 2});
  // The images become the outputs; backward needs only final_transmittance, end and tile_work, which stay.
  return {adopt(std::move(b.out.rgb), {H, W, 3}), adopt(std::move(b.out.alpha), {H, W, 1}),
          adopt(std::move(b.out.depth), {H, W, 1})};
}

template <typename T>
variable_list backward_typed(RasterState& s, Buffers<T>& b, const variable_list& in, const variable_list& grads) {
  const GaussianParams<T> p = params_of<T>(in[0], in[1], in[2], in[3], in[4], in[5]);
  const auto ptr = [](const at::Tensor& g) -> const T* { return g.defined() ? g.data_ptr<T>() : nullptr; };
  ProjectedGrads<T> pg;
  std::vector<T> d_bg;
  rasterize_backward(b.proj, b.bins, s.intr, s.cfg, in[7].data_ptr<T>(), s.per_pixel_bg, b.out, ptr(grads[0]),
                     ptr(grads[1]), ptr(grads[2]), pg, d_bg);
  GaussianGrads<T> gg;
  project_backward(p, in[6].data_ptr<T>(), s.intr, s.cfg, b.proj, pg, gg);
  const int64_t n = p.n;
  if (s.means2d_grad) *s.means2d_grad = to_tensor(pg.mean2d, {n, 2});
  std::vector<T> vm(gg.viewmat, gg.viewmat + 16);
  return {adopt(std::move(gg.means), {n, 3}),
          adopt(std::move(gg.log_scales), {n, 3}),
          adopt(std::move(gg.quats), {n, 4}),
          adopt(std::move(gg.opacity_logits), {n, 1}),
          adopt(std::move(gg.sh_dc), {n, 3}),
          adopt(std::move(gg.sh_rest), {n, int64_t(p.sh_coeffs) - 1, 3}),
          to_tensor(vm, {4, 4}),
          to_tensor(d_bg, in[7].sizes()),
          at::Tensor()};
}

struct RasterizeFunction : torch::autograd::Function<RasterizeFunction> {
  static variable_list forward(AutogradContext* ctx, const at::Tensor& means, const at::Tensor& log_scales,
                               const at::Tensor& quats, const at::Tensor& opacity_logits, const at::Tensor& sh_dc,
                               const at::Tensor& sh_rest,
                               const at::Tensor& viewmat, const at::Tensor& background,
                               const c10::intrusive_ptr<RasterState>& state) {
    const variable_list in = {means, log_scales, quats, opacity_logits, sh_dc, sh_rest, viewmat, background};
    ctx->set_materialize_grads(false);  // an image the loss never reads gets no gradient pass (nullptr, not zeros)
    variable_list out = means.scalar_type() == at::kDouble ? forward_typed(*state, state->d, in)
                                                           : forward_typed(*state, state->f, in);
    ctx->save_for_backward(in);
    ctx->saved_data["state"] = at::IValue::make_capsule(state);
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const variable_list in = ctx->get_saved_variables();
    auto state = c10::static_intrusive_pointer_cast<RasterState>(ctx->saved_data["state"].toCapsule());
    for (auto& g : grads)
      if (g.defined()) g = g.contiguous();
    return in[0].scalar_type() == at::kDouble ? backward_typed(*state, state->d, in, grads)
                                              : backward_typed(*state, state->f, in, grads);
  }
};

}  // namespace

Intrinsics intrinsics_of(const Camera& c) { return {c.fx, c.fy, c.cx, c.cy, c.width, c.height}; }

Camera with_viewmat(Camera camera, const at::Tensor& viewmat) {
  const at::Tensor m = viewmat.detach().to(at::kDouble).contiguous();
  const double* v = m.data_ptr<double>();
  for (size_t r = 0; r < 3; ++r) {
    for (size_t c = 0; c < 3; ++c) camera.R[r][c] = v[r * 4 + c];
    camera.t[r] = v[r * 4 + 3];
  }
  return camera;
}

at::Tensor viewmat_of(const Camera& c, at::ScalarType dtype) {
  const Mat4 m = c.world_to_camera_matrix();
  at::Tensor t = at::empty({4, 4}, at::kDouble);
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 4; ++j) t[i][j] = m[i][j];
  return t.to(dtype);
}

at::Tensor sh_coefficients(const model::Gaussians& g) { return at::cat({g.sh_dc.unsqueeze(1), g.sh_rest}, 1); }

RenderResult render(const model::Gaussians& g, const at::Tensor& viewmat, const Intrinsics& intr,
                    const RenderSettings& settings) {
  const at::ScalarType dtype = g.means.scalar_type();
  if (dtype != at::kFloat && dtype != at::kDouble) throw std::invalid_argument("render: Gaussians must be float32 or float64");
  if (intr.width <= 0 || intr.height <= 0) throw std::invalid_argument("render: empty image size");
  if (viewmat.sizes() != at::IntArrayRef({4, 4})) throw std::invalid_argument("render: viewmat must be 4x4");
  auto state = c10::make_intrusive<RasterState>();
  state->intr = intr;
  state->cfg = settings.config;
  at::Tensor bg = settings.background.defined() ? settings.background : at::zeros({3}, dtype);
  state->per_pixel_bg = bg.dim() == 3;
  if (state->per_pixel_bg && bg.sizes() != at::IntArrayRef({intr.height, intr.width, 3}))
    throw std::invalid_argument("render: a per-pixel background must be (H, W, 3)");
  if (!state->per_pixel_bg && bg.numel() != 3) throw std::invalid_argument("render: background must be (3) or (H, W, 3)");
  RenderResult r;
  state->means2d_grad = r.means2d_grad;
  const auto prep = [&](const at::Tensor& t) { return t.to(at::kCPU, dtype).contiguous(); };
  const variable_list out = RasterizeFunction::apply(prep(g.means), prep(g.log_scales), prep(g.quats),
                                                     prep(g.opacity_logits), prep(g.sh_dc), prep(g.sh_rest), prep(viewmat),
                                                     prep(bg), state);
  r.rgb = out[0];
  r.alpha = out[1];
  r.depth = out[2];
  r.radii = state->radii;
  r.visible = state->radii > 0;
  r.means2d = state->means2d;
  return r;
}

RenderResult render(const model::Gaussians& g, const Camera& camera, const RenderSettings& settings) {
  return render(g, viewmat_of(camera, g.means.scalar_type()), intrinsics_of(camera), settings);
}

}  // namespace ttgs::render
