#include "view/render_service.hpp"

#include "core/error.hpp"
#include "eval/metrics.hpp"
#include "io/image_io.hpp"
#include "model/tensor_image.hpp"
#include <c10/core/GradMode.h>
#include "render/scene_view.hpp"

namespace ttgs::view {
namespace {

const io::Frame& frame_of(const ViewSource& s, size_t frame) {
  if (!s.dataset) throw InputError(s.path, "no dataset: pass --data to see the cameras");
  if (frame >= s.dataset->frames.size()) throw InputError(s.path, "no view " + std::to_string(frame));
  return s.dataset->frames[frame];
}

}  // namespace

ViewRender RenderService::render(size_t frame) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto cached = cache_.find(frame);
  if (cached != cache_.end()) return cached->second;
  std::optional<io::Frame> decoded;
  const io::Frame& f = io::pixels_of(frame_of(source_, frame), decoded, false);  // decoded now when loaded lazily
  c10::NoGradGuard no_grad;
  const at::Tensor rgb = render::render_view(source_.scene, *source_.dataset, frame, {}).rgb.clamp(0, 1);
  ViewRender out;
  out.png = io::encode_png(model::from_tensor(rgb), 8, f.name);
  if (!f.image.empty()) {
    at::Tensor mask;
    if (f.mask && model::uses_masks(*source_.dataset, source_.scene)) mask = model::to_tensor(*f.mask);
    out.psnr = eval::psnr(rgb, model::to_tensor(f.image), mask);
  }
  cache_[frame] = out;
  return out;
}

std::string RenderService::photo(size_t frame) {
  const io::Frame& listed = frame_of(source_, frame);
  if (!io::has_pixels(listed)) return std::string();
  std::optional<io::Frame> decoded;
  const io::Frame& f = io::pixels_of(listed, decoded, false);
  return io::encode_png(to_float(f.image), 8, f.name);
}

}  // namespace ttgs::view
