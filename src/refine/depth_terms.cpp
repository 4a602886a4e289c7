// The Refiner's depth prior (alignment by RANSAC, disparity loss) and the training loss of one frame.
#include "loss/photometric.hpp"
#include "refine/depth_prior.hpp"
#include <c10/core/GradMode.h>
#include "refine/refiner_impl.hpp"

namespace ttgs::refine {

// Fits the frame's prior disparity to the rendered one (mean depth of covered pixels).
void Refiner::align_depth(size_t i, const render::RenderResult& r, const ImageLevel& lv, int factor) {
  Alignment& a = alignment_[i];
  c10::NoGradGuard no_grad;
  const at::Tensor prior = resize_nearest(o_.depth_priors[i], r.alpha.size(0), r.alpha.size(1));
  a.factor = factor;
  a.source_disparity = at::where(prior > 0, 1 / prior.clamp_min(1e-12), at::zeros_like(prior)).contiguous();
  const at::Tensor alpha = r.alpha.squeeze(2), depth = r.depth.squeeze(2);
  const at::Tensor target = (alpha / depth.clamp_min(1e-12)).contiguous();
  at::Tensor valid = (prior > 0) & (alpha > 0.5) & (depth > 0);
  if (const at::Tensor mask = lv.mask(i); mask.defined()) valid = valid & (mask.squeeze(2) > 0.5);
  const auto vec = [](const at::Tensor& t) {
    const at::Tensor c = t.to(at::kFloat).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  };
  if (o_.sky_fusion) {
    const at::Tensor luminance = lv.views.photo(i).matmul(at::tensor({0.299f, 0.587f, 0.114f}));
    const SkyMask sky = fuse_sky(vec(a.source_disparity), vec(alpha), vec(luminance), int(prior.size(0)),
                                 int(prior.size(1)), o_.sky);
    a.sky_fraction = double(sky.pixels) / double(prior.numel());
    const at::Tensor is_sky = at::from_blob(const_cast<uint8_t*>(sky.sky.data()), prior.sizes(), at::kByte).to(at::kBool);
    valid = valid & ~is_sky;
  }
  valid = valid.to(at::kByte).contiguous();
  const std::vector<uint8_t> v(valid.data_ptr<uint8_t>(), valid.data_ptr<uint8_t>() + valid.numel());
  const AffineFit fit = fit_affine_ransac(vec(a.source_disparity), vec(target), v, o_.ransac);
  a.ok = fit.ok;
  if (!fit.ok) return;
  a.scale = fit.scale;
  a.shift = fit.shift;
  a.inlier_fraction = fit.num_valid ? double(fit.num_inliers) / double(fit.num_valid) : 0.0;
  a.inliers = at::from_blob(const_cast<uint8_t*>(fit.inliers.data()), prior.sizes(), at::kByte).to(at::kBool).clone();
}

// L1 between the rendered disparity and the aligned prior on the inlier pixels, relative to the prior's mean.
at::Tensor Refiner::depth_loss(size_t i, const render::RenderResult& r) const {
  const Alignment& a = alignment_[i];
  const at::Tensor target = (a.scale * a.source_disparity + a.shift).to(r.depth.scalar_type());
  const at::Tensor disparity = r.alpha.squeeze(2) / r.depth.squeeze(2).clamp_min(1e-6);
  const at::Tensor w = a.inliers.to(r.depth.scalar_type());
  const at::Tensor count = w.sum().clamp_min(1);
  const at::Tensor norm = ((target.abs() * w).sum() / count).clamp_min(1e-12).detach();
  return ((disparity - target).abs() * w).sum() / count / norm;
}

// The training loss of frame i seen through `viewmat` at one pyramid level: photometric, plus the depth prior's
// term where the frame has one (re-aligned when `realign`, or when it has no alignment at this level).
at::Tensor Refiner::frame_loss(size_t i, const at::Tensor& viewmat, const ImageLevel& lv, bool realign) {
  const render::RenderResult r = render_frame(i, viewmat, lv.intrinsics[i]);
  at::Tensor loss = loss::masked_photometric(r.rgb, lv.views.photo(i), lv.mask(i), o_.ssim_lambda);
  if (i < o_.depth_priors.size() && o_.depth_priors[i].defined()) {
    Alignment& a = alignment_[i];
    if (realign || !a.ok || a.factor != lv.factor) align_depth(i, r, lv, lv.factor);
    if (a.ok) loss = loss + o_.depth_weight * depth_loss(i, r);
  }
  return loss;
}

}  // namespace ttgs::refine
