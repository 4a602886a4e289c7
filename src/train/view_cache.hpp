#pragma once
// The one image cache of the training loops (fit, refine, learn): the photos and masks of chosen frames, at one
// downscale factor, kept as 8-bit (a quarter of float's memory) and handed out as float tensors on demand.
// At factor 1 the cache holds no pixels of its own: it reads the dataset's 8-bit frames, so the dataset must
// outlive the cache. Frames loaded lazily are decoded when asked for (train/decoded_frames.hpp), at most the
// dataset's pixel_cache_mib of them kept; prefetch() decodes the next one on a background thread.
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/camera.hpp"
#include "io/dataset.hpp"
#include "train/decoded_frames.hpp"

namespace ttgs::train {

// One view as a loop uses it: the camera at the cached scale, the photo and its mask.
struct View {
  Camera camera;
  at::Tensor photo;  // (H, W, 3) float32 in [0, 1]
  at::Tensor mask;   // (H, W, 1) float32, 1 = use the pixel; undefined: all pixels
};

class ViewCache {
 public:
  ViewCache() = default;
  // The `frames` of `dataset` downscaled by `factor` (box filter for photos, block minimum for masks, as
  // io::load_dataset does), each entry rounded to the nearest 8-bit value; the masks only `with_masks`.
  ViewCache(const io::Dataset& dataset, const std::vector<size_t>& frames, int factor = 1, bool with_masks = true);

  bool has(size_t frame) const {
    return frame < entries_.size() && (entries_[frame].photo.defined() || entries_[frame].lazy);
  }
  at::Tensor photo(size_t frame) const;  // (H, W, 3) float32
  at::Tensor mask(size_t frame) const;   // (H, W, 1) float32 or undefined
  const Camera& camera(size_t frame) const { return entries_.at(frame).camera; }
  View view(size_t frame) const { return {camera(frame), photo(frame), mask(frame)}; }
  int factor() const { return factor_; }
  int64_t bytes() const;  // pixels held by the cache itself (0 at factor 1, where it reads the dataset's)
  void prefetch(size_t frame) const;  // a lazily loaded frame: decode it ahead (nothing for the others)

 private:
  struct Entry {
    Camera camera;
    at::Tensor photo, mask;            // uint8 (H, W, 3) and (H, W, 1)
    const io::Frame* lazy = nullptr;   // loaded lazily: its pixels come from decoded_
  };
  std::vector<Entry> entries_;  // by dataset frame index; frames not cached stay empty
  int factor_ = 1;
  std::shared_ptr<DecodedFrames> decoded_;  // null unless some frame was loaded lazily
};

}  // namespace ttgs::train
