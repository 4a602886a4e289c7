#include "train/decoded_frames.hpp"

#include <stdexcept>

namespace ttgs::train {

DecodedFrames::DecodedFrames(int factor, bool with_masks, int64_t budget_bytes)
    : factor_(factor), with_masks_(with_masks), budget_(budget_bytes) {
  if (factor < 1) throw std::invalid_argument("DecodedFrames: factor must be at least 1");
}

DecodedFrames::~DecodedFrames() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (worker_.joinable()) worker_.join();
}

void DecodedFrames::decode_ahead() {
  for (;;) {
    std::packaged_task<std::shared_ptr<const DecodedFrame>()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();  // its result (or error) goes to the future in ahead_
  }
}

std::shared_ptr<const DecodedFrame> DecodedFrames::decode(const io::Frame& frame) const {
  io::Frame f = io::with_pixels(frame, false);
  auto out = std::make_shared<DecodedFrame>();
  out->photo = factor_ > 1 ? downscale_area(f.image, factor_) : std::move(f.image);
  if (f.mask && with_masks_)
    out->mask = factor_ > 1 ? std::make_shared<const Image8>(downscale_min(*f.mask, factor_)) : f.mask;
  out->bytes = int64_t(out->photo.data.size()) + (out->mask ? int64_t(out->mask->data.size()) : 0);
  return out;
}

void DecodedFrames::keep(size_t index, std::shared_ptr<const DecodedFrame> decoded) {
  if (kept_.count(index)) return;
  const int64_t size = decoded->bytes;
  while (!recent_.empty() && kept_bytes_ + size > budget_) {
    const auto dropped = kept_.find(recent_.back());
    kept_bytes_ -= dropped->second.first->bytes;
    kept_.erase(dropped);
    recent_.pop_back();
  }
  if (size > budget_) return;
  recent_.push_front(index);
  kept_.emplace(index, std::make_pair(std::move(decoded), recent_.begin()));
  kept_bytes_ += size;
}

std::shared_ptr<const DecodedFrame> DecodedFrames::get(size_t index, const io::Frame& frame) {
  std::shared_future<std::shared_ptr<const DecodedFrame>> pending;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (const auto it = kept_.find(index); it != kept_.end()) {
      recent_.splice(recent_.begin(), recent_, it->second.second);
      return it->second.first;
    }
    if (const auto it = ahead_.find(index); it != ahead_.end()) {
      pending = it->second;
      ahead_.erase(it);
    }
  }
  std::shared_ptr<const DecodedFrame> decoded = pending.valid() ? pending.get() : decode(frame);
  std::lock_guard<std::mutex> lock(mutex_);
  keep(index, decoded);
  return decoded;
}

void DecodedFrames::prefetch(size_t index, const io::Frame& frame) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (kept_.count(index) || ahead_.count(index)) return;
  std::packaged_task<std::shared_ptr<const DecodedFrame>()> task([this, &frame] { return decode(frame); });
  ahead_.emplace(index, task.get_future().share());
  queue_.push_back(std::move(task));
  if (!worker_.joinable()) worker_ = std::thread([this] { decode_ahead(); });
  wake_.notify_one();
}

int64_t DecodedFrames::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return kept_bytes_;
}

}  // namespace ttgs::train
