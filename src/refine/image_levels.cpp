#include "refine/image_levels.hpp"

#include <algorithm>
#include <cmath>

#include "eval/regions.hpp"
#include "model/tensor_image.hpp"
#include "render/rasterizer.hpp"

namespace ttgs::refine {

ImageLevel make_image_level(const io::Dataset& ds, const std::vector<size_t>& frames, int factor, double blur,
                            LevelMasks masks) {
  ImageLevel l;
  const size_t n = ds.frames.size();
  l.factor = factor;
  l.blur = blur;
  l.views = train::ViewCache(ds, frames, factor, masks != LevelMasks::kNone);
  const bool static_masks = masks == LevelMasks::kStatic || masks == LevelMasks::kStaticBilinear;
  if (static_masks) {
    l.static_masks.resize(n);
    for (size_t i : frames) {
      const io::Frame& f = ds.frames[i];
      at::Tensor keep;  // full resolution
      if (f.mask) keep = (model::to_tensor(*f.mask) > 0.5).to(at::kFloat);
      if (!ds.actors.empty()) {
        const at::Tensor outside = 1 - eval::actor_box_mask(ds, i, f.camera);
        keep = keep.defined() ? keep * outside : outside;
      }
      if (!keep.defined()) continue;
      const at::Tensor down = downscale_mask(keep, factor, masks == LevelMasks::kStatic);
      l.static_masks[i] = down.slice(0, 0, l.views.photo(i).size(0)).slice(1, 0, l.views.photo(i).size(1)).contiguous();
    }
  }
  l.blurred.resize(n);
  l.intrinsics.resize(n);
  for (size_t i : frames) {
    l.intrinsics[i] = render::intrinsics_of(l.views.camera(i));
    const at::Tensor photo = l.views.photo(i);
    l.blurred[i] = blur > 0 ? gaussian_blur(photo, blur) : photo;
  }
  return l;
}

at::Tensor downscale_mask(const at::Tensor& keep, int factor, bool nearest) {
  if (factor == 1) return keep;
  const at::Tensor nchw = keep.permute({2, 0, 1}).unsqueeze(0);
  const at::Tensor down = nearest ? -at::max_pool2d(-nchw, {factor, factor})
                                  : (at::avg_pool2d(nchw, {factor, factor}) >= 0.5).to(keep.scalar_type());
  return down.squeeze(0).permute({1, 2, 0}).contiguous();
}

at::Tensor downscale_mean(const at::Tensor& image, int factor) {
  if (factor == 1) return image;
  const at::Tensor nchw = image.permute({2, 0, 1}).unsqueeze(0);
  return at::avg_pool2d(nchw, {factor, factor}).squeeze(0).permute({1, 2, 0}).contiguous();
}

at::Tensor gaussian_blur(const at::Tensor& image, double sigma) {
  const int radius = std::max(1, int(std::ceil(3 * sigma)));
  const at::Tensor x = at::arange(-radius, radius + 1, image.options());
  at::Tensor k = at::exp(-0.5 * (x / sigma).square());
  k = k / k.sum();
  const int64_t c = image.size(2);
  const at::Tensor nchw = image.permute({2, 0, 1}).unsqueeze(0).contiguous();
  const at::Tensor padded = at::replication_pad2d(nchw, {radius, radius, radius, radius});
  const int64_t width = 2 * radius + 1;
  const c10::optional<at::Tensor> no_bias;
  const std::vector<int64_t> ones{1, 1}, zeros{0, 0};
  const auto conv = [&](const at::Tensor& in, const at::Tensor& kernel) {
    return at::conv2d(in, kernel.contiguous(), no_bias, at::IntArrayRef(ones), at::IntArrayRef(zeros),
                      at::IntArrayRef(ones), c);
  };
  const at::Tensor both = conv(conv(padded, k.view({1, 1, 1, -1}).expand({c, 1, 1, width})),
                               k.view({1, 1, -1, 1}).expand({c, 1, width, 1}));
  return both.squeeze(0).permute({1, 2, 0}).contiguous();
}

}  // namespace ttgs::refine
