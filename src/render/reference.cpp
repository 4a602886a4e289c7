#include "render/reference.hpp"

#include <cmath>

namespace ttgs::render {
namespace {

// Real SH basis (N, K) at unit directions d (N, 3), the 3DGS convention, written independently of sh.cpp.
at::Tensor sh_basis_dense(const at::Tensor& d, int degree) {
  const at::Tensor x = d.select(1, 0), y = d.select(1, 1), z = d.select(1, 2);
  std::vector<at::Tensor> b = {at::full_like(x, 0.28209479177387814)};
  if (degree >= 1) {
    const double c1 = 0.4886025119029199;
    b.push_back(-c1 * y);
    b.push_back(c1 * z);
    b.push_back(-c1 * x);
  }
  if (degree >= 2) {
    b.push_back(1.0925484305920792 * x * y);
    b.push_back(-1.0925484305920792 * y * z);
    b.push_back(0.31539156525252005 * (2 * z * z - x * x - y * y));
    b.push_back(-1.0925484305920792 * x * z);
    b.push_back(0.5462742152960396 * (x * x - y * y));
  }
  if (degree >= 3) {
    b.push_back(-0.5900435899266435 * y * (3 * x * x - y * y));
    b.push_back(2.890611442640554 * x * y * z);
    b.push_back(-0.4570457994644658 * y * (4 * z * z - x * x - y * y));
    b.push_back(0.3731763325901154 * z * (2 * z * z - 3 * x * x - 3 * y * y));
    b.push_back(-0.4570457994644658 * x * (4 * z * z - x * x - y * y));
    b.push_back(1.445305721320277 * z * (x * x - y * y));
    b.push_back(-0.5900435899266435 * x * (x * x - 3 * y * y));
  }
  return at::stack(b, 1);
}

at::Tensor quat_to_rotmat(const at::Tensor& q) {
  const at::Tensor qn = q / q.norm(2, {1}, true);
  const at::Tensor w = qn.select(1, 0), x = qn.select(1, 1), y = qn.select(1, 2), z = qn.select(1, 3);
  return at::stack({1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y),
                    2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x),
                    2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)}, 1)
      .view({-1, 3, 3});
}

}  // namespace

RenderResult render_reference(const model::Gaussians& g, const at::Tensor& viewmat, const Intrinsics& in,
                              const RenderSettings& settings) {
  const RasterConfig& cfg = settings.config;
  const auto opts = g.means.options();
  const int64_t n = g.size(), H = in.height, W = in.width;
  const at::Tensor Wr = viewmat.slice(0, 0, 3).slice(1, 0, 3), t = viewmat.slice(0, 0, 3).select(1, 3);
  const at::Tensor p = at::matmul(g.means, Wr.t()) + t;  // (N, 3)
  const at::Tensor x = p.select(1, 0), y = p.select(1, 1), z = p.select(1, 2);
  at::Tensor valid = (z > cfg.near) & (z < cfg.far);
  const at::Tensor zs = at::where(valid, z, at::ones_like(z));  // keep culled ones finite

  const at::Tensor R = quat_to_rotmat(g.quats);
  const at::Tensor M = R * g.log_scales.exp().unsqueeze(1);  // R diag(s)
  const at::Tensor Sigma = at::matmul(M, M.transpose(1, 2));
  const at::Tensor SigmaC = at::matmul(at::matmul(Wr, Sigma), Wr.t());
  const double half_x = 0.5 * W / in.fx, mid_x = (0.5 * W - in.cx) / in.fx;
  const double half_y = 0.5 * H / in.fy, mid_y = (0.5 * H - in.cy) / in.fy;
  const at::Tensor xz = (x / zs).clamp(mid_x - cfg.guard * half_x, mid_x + cfg.guard * half_x);
  const at::Tensor yz = (y / zs).clamp(mid_y - cfg.guard * half_y, mid_y + cfg.guard * half_y);
  const at::Tensor zero = at::zeros_like(zs);
  const at::Tensor J = at::stack({in.fx / zs, zero, -in.fx * xz / zs, zero, in.fy / zs, -in.fy * yz / zs}, 1).view({-1, 2, 3});
  const at::Tensor cov0 = at::matmul(at::matmul(J, SigmaC), J.transpose(1, 2));
  const at::Tensor cov = cov0 + cfg.eps2d * at::eye(2, opts);
  const at::Tensor A = cov.select(1, 0).select(1, 0), B = cov.select(1, 0).select(1, 1), C = cov.select(1, 1).select(1, 1);
  const at::Tensor det = A * C - B * B;
  valid = valid & (det > 0);
  const at::Tensor dets = at::where(valid, det, at::ones_like(det));
  const at::Tensor conic_a = C / dets, conic_b = -B / dets, conic_c = A / dets;
  at::Tensor opacity = g.opacity_logits.squeeze(1).sigmoid();
  if (cfg.antialiased) {
    const at::Tensor det0 = cov0.select(1, 0).select(1, 0) * cov0.select(1, 1).select(1, 1) -
                            cov0.select(1, 0).select(1, 1) * cov0.select(1, 0).select(1, 1);
    opacity = opacity * (det0 / dets).clamp_min(0).sqrt();
  }
  const at::Tensor u = in.fx * x / zs + in.cx, v = in.fy * y / zs + in.cy;
  // 3-sigma radius (no gradient) and culling of Gaussians whose square misses every pixel centre.
  const at::Tensor mid = 0.5 * (A + C).detach();
  const at::Tensor lambda = mid + (mid * mid - dets.detach()).clamp_min(0.1).sqrt();
  at::Tensor extent = at::full_like(lambda, 3.0);
  if (cfg.opacity_aware_extent) {
    const at::Tensor o = opacity.detach();
    valid = valid & (o >= cfg.alpha_min);
    extent = at::minimum(extent, (2 * (o / cfg.alpha_min).clamp_min(1).log()).sqrt());
  }
  at::Tensor radius = (extent * lambda.sqrt()).ceil();
  valid = valid & (radius > 0);
  const at::Tensor ud = u.detach(), vd = v.detach();
  valid = valid & (ud + radius >= 0.5) & (ud - radius <= W - 0.5) & (vd + radius >= 0.5) & (vd - radius <= H - 0.5);
  radius = at::where(valid, radius, at::zeros_like(radius));

  // Colours from SH at the direction camera centre -> mean.
  const at::Tensor centre = -at::matmul(Wr.t(), t);
  const at::Tensor dvec = g.means - centre;
  const at::Tensor dir = dvec / dvec.norm(2, {1}, true);
  const int degree = std::min(cfg.sh_degree, g.sh_degree());
  const int64_t K = (degree + 1) * (degree + 1);
  const at::Tensor sh = sh_coefficients(g).slice(1, 0, K);  // (N, K, 3)
  const at::Tensor color = ((sh_basis_dense(dir, degree).unsqueeze(2) * sh).sum(1) + 0.5).clamp_min(0);

  // Every pixel against every Gaussian, front to back.
  const at::Tensor order = std::get<1>(at::sort(z.detach().masked_fill(~valid, 1e30), /*stable=*/true, 0, false));
  const auto take = [&](const at::Tensor& a) { return a.index_select(0, order); };
  const at::Tensor px = at::arange(W, opts).add(0.5).view({1, W, 1});
  const at::Tensor py = at::arange(H, opts).add(0.5).view({H, 1, 1});
  const at::Tensor dx = px - take(u).view({1, 1, n}), dy = py - take(v).view({1, 1, n});  // (H, W, N)
  const at::Tensor rr = take(radius).view({1, 1, n});
  const at::Tensor power = -0.5 * (take(conic_a) * dx * dx + take(conic_c) * dy * dy) - take(conic_b) * dx * dy;
  at::Tensor alpha = (take(opacity) * power.exp()).clamp_max(cfg.alpha_max);
  const at::Tensor touches = (dx.abs() <= rr) & (dy.abs() <= rr) & (power <= 0) & (alpha >= cfg.alpha_min) &
                             take(valid).view({1, 1, n});
  alpha = at::where(touches, alpha, at::zeros_like(alpha));
  // Stop before the Gaussian that would take the transmittance below the minimum.
  const at::Tensor t_incl = (1 - alpha.detach()).cumprod(2);
  const at::Tensor stopped = (t_incl < cfg.transmittance_min).to(at::kInt).cumsum(2) > 0;
  alpha = at::where(stopped, at::zeros_like(alpha), alpha);
  const at::Tensor trans_incl = (1 - alpha).cumprod(2);
  const at::Tensor trans = at::cat({at::ones({H, W, 1}, opts), trans_incl.slice(2, 0, n)}, 2).slice(2, 0, n);
  const at::Tensor w = alpha * trans;  // (H, W, N)
  const at::Tensor t_final = n > 0 ? trans_incl.slice(2, n - 1, n) : at::ones({H, W, 1}, opts);
  at::Tensor bg = settings.background.defined() ? settings.background : at::zeros({3}, opts);
  RenderResult r;
  r.rgb = at::matmul(w, take(color)) + t_final * bg;
  r.alpha = 1 - t_final;
  r.depth = at::matmul(w, take(z).unsqueeze(1));
  r.radii = radius.to(at::kInt);
  r.visible = valid;
  r.means2d = at::stack({ud, vd}, 1);
  return r;
}

}  // namespace ttgs::render
