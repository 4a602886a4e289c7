#include "train/view_sampler.hpp"

#include <algorithm>
#include <sstream>
#include <stdexcept>

namespace ttgs::train {

ViewSampler::ViewSampler(std::vector<size_t> views, uint64_t seed) : views_(std::move(views)), rng_(seed) {
  if (views_.empty()) throw std::invalid_argument("ViewSampler: no views");
}

size_t ViewSampler::next() {
  if (remaining_.empty()) {
    std::vector<size_t> order = views_;
    std::shuffle(order.begin(), order.end(), rng_);
    remaining_.assign(order.begin(), order.end());
  }
  const size_t view = size_t(remaining_.back());
  remaining_.pop_back();
  return view;
}

std::optional<size_t> ViewSampler::upcoming() const {
  if (remaining_.empty()) return std::nullopt;
  return size_t(remaining_.back());
}

std::string ViewSampler::generator_state() const {
  std::ostringstream text;
  text << rng_;
  return text.str();
}

void ViewSampler::restore(const std::string& generator_state, std::vector<int64_t> remaining) {
  std::istringstream(generator_state) >> rng_;
  for (int64_t v : remaining)
    if (std::find(views_.begin(), views_.end(), size_t(v)) == views_.end())
      throw std::invalid_argument("ViewSampler: restored view " + std::to_string(v) + " is not a training view");
  remaining_ = std::move(remaining);
}

}  // namespace ttgs::train
