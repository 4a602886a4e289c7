#pragma once
// The view cache's store for a lazily loaded dataset (io::LoadOptions::lazy_above_mib): frames decoded from their
// files when a loop asks for them, at the cache's factor, kept while they fit a byte budget (the least recently used
// dropped first), and decoded ahead on a background thread when the loop says which frame comes next.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "core/image.hpp"
#include "io/dataset.hpp"

namespace ttgs::train {

struct DecodedFrame {
  Image8 photo;                        // RGB at the cache's factor
  std::shared_ptr<const Image8> mask;  // null: every pixel (or masks not wanted)
  int64_t bytes = 0;                   // photo and mask (a lens's shared border mask counted too: a bound)
};

class DecodedFrames {
 public:
  DecodedFrames(int factor, bool with_masks, int64_t budget_bytes);
  ~DecodedFrames();  // finishes the frame being decoded ahead, drops the others
  DecodedFrames(const DecodedFrames&) = delete;
  DecodedFrames& operator=(const DecodedFrames&) = delete;

  // Frame `index` (`frame` of the dataset): kept, being decoded ahead (waited for), or decoded now. InputError when
  // its files changed since the dataset was loaded.
  std::shared_ptr<const DecodedFrame> get(size_t index, const io::Frame& frame);
  // Queues frame `index` for decoding on the background thread unless it is kept or already on its way.
  void prefetch(size_t index, const io::Frame& frame);
  int64_t bytes() const;  // decoded pixels kept

 private:
  std::shared_ptr<const DecodedFrame> decode(const io::Frame& frame) const;
  void keep(size_t index, std::shared_ptr<const DecodedFrame> decoded);  // mutex held
  void decode_ahead();  // the background thread: runs the queued decodes in order

  const int factor_;
  const bool with_masks_;
  const int64_t budget_;
  mutable std::mutex mutex_;
  std::list<size_t> recent_;  // most recently used first
  std::map<size_t, std::pair<std::shared_ptr<const DecodedFrame>, std::list<size_t>::iterator>> kept_;
  std::map<size_t, std::shared_future<std::shared_ptr<const DecodedFrame>>> ahead_;
  int64_t kept_bytes_ = 0;
  // One long-lived thread, not one per frame: each new thread may get its own malloc arena, and every arena keeps
  // the freed float temporaries of a decode (tens of MB each).
  std::deque<std::packaged_task<std::shared_ptr<const DecodedFrame>()>> queue_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread worker_;  // started on the first prefetch
};

}  // namespace ttgs::train
