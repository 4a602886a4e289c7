#include "train/view_cache.hpp"

#include <stdexcept>

#include "core/error.hpp"
#include "model/tensor_image.hpp"

namespace ttgs::train {

ViewCache::ViewCache(const io::Dataset& ds, const std::vector<size_t>& frames, int factor, bool with_masks)
    : factor_(factor) {
  if (factor < 1) throw std::invalid_argument("ViewCache: factor must be at least 1");
  entries_.resize(ds.frames.size());
  for (size_t i : frames) {
    if (i >= ds.frames.size()) throw std::invalid_argument("ViewCache: frame index out of range");
    const io::Frame& f = ds.frames[i];
    if (!io::has_pixels(f)) throw InputError(ds.path, "frame " + f.name + " was loaded without pixels");
    Entry& e = entries_[i];
    e.camera = factor > 1 ? f.camera.downscaled(factor) : f.camera;
    if (f.image.empty()) {
      e.lazy = &f;
      if (!decoded_) decoded_ = std::make_shared<DecodedFrames>(factor, with_masks, ds.pixel_cache_bytes);
      continue;
    }
    e.photo = factor > 1 ? model::byte_tensor(downscale_area(f.image, factor)).clone() : model::byte_tensor(f.image);
    if (f.mask && with_masks)
      e.mask = factor > 1 ? model::byte_tensor(downscale_min(*f.mask, factor)).clone() : model::byte_tensor(*f.mask);
  }
}

at::Tensor ViewCache::photo(size_t frame) const {
  if (!has(frame)) throw std::out_of_range("ViewCache: frame " + std::to_string(frame) + " is not cached");
  const Entry& e = entries_[frame];
  if (!e.lazy) return model::from_8bit(e.photo);
  const std::shared_ptr<const DecodedFrame> d = decoded_->get(frame, *e.lazy);
  return model::from_8bit(model::byte_tensor(d->photo));
}

at::Tensor ViewCache::mask(size_t frame) const {
  if (!has(frame)) throw std::out_of_range("ViewCache: frame " + std::to_string(frame) + " is not cached");
  const Entry& e = entries_[frame];
  if (!e.lazy) return e.mask.defined() ? model::from_8bit(e.mask) : at::Tensor();
  const std::shared_ptr<const DecodedFrame> d = decoded_->get(frame, *e.lazy);
  return d->mask ? model::from_8bit(model::byte_tensor(*d->mask)) : at::Tensor();
}

void ViewCache::prefetch(size_t frame) const {
  if (has(frame) && entries_[frame].lazy) decoded_->prefetch(frame, *entries_[frame].lazy);
}

int64_t ViewCache::bytes() const {
  int64_t total = decoded_ ? decoded_->bytes() : 0;
  for (const Entry& e : entries_)
    if (factor_ > 1) total += (e.photo.defined() ? e.photo.numel() : 0) + (e.mask.defined() ? e.mask.numel() : 0);
  return total;
}

}  // namespace ttgs::train
