#pragma once
// Which training view a stochastic step renders: every view once per epoch, in a fresh random order each epoch.
// Its state (generator and the views left in the epoch) goes into checkpoints, so a resumed run draws the same views.
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace ttgs::train {

class ViewSampler {
 public:
  ViewSampler(std::vector<size_t> views, uint64_t seed);
  size_t next();
  // The view next() returns next, when this epoch has views left (a new epoch's order is drawn by next()).
  std::optional<size_t> upcoming() const;
  // The generator in its text form and the views still to come in this epoch (next() takes them from the back).
  std::string generator_state() const;
  const std::vector<int64_t>& remaining() const { return remaining_; }
  void restore(const std::string& generator_state, std::vector<int64_t> remaining);

 private:
  std::vector<size_t> views_;
  std::mt19937_64 rng_;
  std::vector<int64_t> remaining_;
};

}  // namespace ttgs::train
