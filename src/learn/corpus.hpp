#pragma once
// The training corpus of the learned optimizer: scenes from folders (ttgs synth outputs, real multi-view scenes)
// and synthetic scenes generated on first use, each labelled by its source and drawn with a weight. Which scene
// fills slot j of batch b is a pure function of (seed, b, j), so every rank of a job, and a resumed run, draws the
// same ones without exchanging anything.
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <vector>

#include "learn/learned_optimizer.hpp"
#include "learn/neural_gaussians.hpp"
#include "synth/presets.hpp"

namespace ttgs::learn {

struct CorpusEntry {
  std::string path;    // dataset folder (generated there on first use when `synth` is set)
  std::string source;  // label: synthetic, real, folder
  double weight = 1;   // relative probability of being drawn
  int downscale = 1;
  int test_every = 0;  // 0: the dataset's own split
  std::optional<synth::SynthOptions> synth;
};

// Synthetic scenes seed, seed + 1, ...: object and street presets (street with probability `street_fraction`),
// widths spread log-uniformly over [min_width, max_width] (height 3/4 of it), training views over
// [min_views, max_views] (fewer at large sizes, so that a scene's pixels stay bounded), scaffold points 1,500-6,000,
// every randomization but sensor effects. Folders dir/scene_NNNN.
struct SynthCorpusOptions {
  int count = 0;
  uint64_t seed = 1000;
  int min_width = 96, max_width = 384;
  int min_views = 8, max_views = 64;
  double street_fraction = 0.3;
};
std::vector<CorpusEntry> synthetic_entries(const std::string& dir, const SynthCorpusOptions& options);

// Entry weights set so that each source's scenes together weigh `source_weight(source)` (equal shares within a
// source): a source of 4 real scenes at weight 1 is drawn as often as 200 synthetic ones at weight 1.
void balance_sources(std::vector<CorpusEntry>& corpus, const std::vector<std::pair<std::string, double>>& weights);

// The corpus entry of slot `slot` of batch `batch`.
size_t draw_scene(const std::vector<CorpusEntry>& corpus, uint64_t seed, int64_t batch, int64_t slot);
// The T of batch `batch`, uniform in [min_steps, max_steps].
int draw_steps(uint64_t seed, int64_t batch, int min_steps, int max_steps);

// Loads (generating first if needed) entries as training scenes and keeps the last `capacity` used.
class SceneCache {
 public:
  SceneCache(const std::vector<CorpusEntry>& corpus, const NeuralInitOptions& init, uint64_t seed, size_t capacity);
  const TrainingScene& get(size_t entry);

 private:
  const std::vector<CorpusEntry>& corpus_;
  NeuralInitOptions init_;
  uint64_t seed_;
  size_t capacity_;
  std::list<std::pair<size_t, TrainingScene>> recent_;  // most recent first
};

// Writes the synthetic entry's scene unless its folder has one (written to a temporary folder, then renamed: ranks
// generating the same scene at once do not see a half-written folder).
void ensure_generated(const CorpusEntry& entry);

}  // namespace ttgs::learn
