#include "learn/corpus.hpp"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <random>

#include "core/error.hpp"
#include "io/dataset.hpp"
#include "io/file_util.hpp"
#include "learn/training.hpp"
#include "synth/writer.hpp"

namespace ttgs::learn {
namespace {

std::mt19937_64 generator(uint64_t seed, int64_t a, int64_t b) {
  std::seed_seq seq{uint32_t(seed), uint32_t(seed >> 32), uint32_t(a), uint32_t(uint64_t(a) >> 32), uint32_t(b)};
  return std::mt19937_64(seq);
}

}  // namespace

std::vector<CorpusEntry> synthetic_entries(const std::string& dir, const SynthCorpusOptions& o) {
  if (o.min_width < 16 || o.max_width < o.min_width) throw InputError("--synth-sizes", "need 16 <= MIN <= MAX");
  if (o.min_views < 2 || o.max_views < o.min_views) throw InputError("--synth-views", "need 2 <= MIN <= MAX");
  std::vector<CorpusEntry> out;
  for (int i = 0; i < o.count; ++i) {
    std::mt19937_64 rng = generator(o.seed, i, 7);
    std::uniform_real_distribution<double> u(0, 1);
    synth::SynthOptions s;
    s.seed = o.seed + uint64_t(i);
    s.preset = u(rng) < o.street_fraction ? "street" : "object";
    const double w = std::exp(std::log(o.min_width) + u(rng) * (std::log(o.max_width) - std::log(o.min_width)));
    s.width = 4 * int(std::lround(w / 4));
    s.height = s.width * 3 / 4;
    // At most ~3.5 M training pixels per scene (64 views at 256x192, 32 at 384x288).
    const int cap = std::max(o.min_views, int(3.5e6 / (double(s.width) * s.height)));
    const int top = std::min(o.max_views, cap);
    s.views = o.min_views + int(u(rng) * (top - o.min_views + 1));
    s.views = std::min(s.views, top);
    s.novel = std::max(2, s.views / 8);
    s.supersample = 2;
    s.scaffold.points = 1500 + int(u(rng) * 4500);
    s.randomize = {true, true, true, false};
    char name[32];
    std::snprintf(name, sizeof(name), "scene_%04d", i);
    out.push_back({io::join_path(dir, name), "synthetic", 1.0, 1, 0, s});
  }
  return out;
}

void balance_sources(std::vector<CorpusEntry>& corpus, const std::vector<std::pair<std::string, double>>& weights) {
  std::map<std::string, int> count;
  for (const CorpusEntry& e : corpus) ++count[e.source];
  for (CorpusEntry& e : corpus) {
    double w = 1;
    for (const auto& [source, weight] : weights)
      if (source == e.source) w = weight;
    e.weight = w / double(count[e.source]);
  }
}

size_t draw_scene(const std::vector<CorpusEntry>& corpus, uint64_t seed, int64_t batch, int64_t slot) {
  if (corpus.empty()) throw std::invalid_argument("draw_scene: empty corpus");
  std::vector<double> w;
  for (const CorpusEntry& e : corpus) w.push_back(e.weight);
  std::mt19937_64 rng = generator(seed, batch, slot + 1000);
  return std::discrete_distribution<size_t>(w.begin(), w.end())(rng);
}

int draw_steps(uint64_t seed, int64_t batch, int min_steps, int max_steps) {
  if (min_steps >= max_steps) return min_steps;
  std::mt19937_64 rng = generator(seed, batch, 999);
  return std::uniform_int_distribution<int>(min_steps, max_steps)(rng);
}

void ensure_generated(const CorpusEntry& e) {
  if (!e.synth || io::file_exists(io::join_path(e.path, "transforms.json"))) return;
  const std::string tmp = e.path + ".tmp" + std::to_string(::getpid());
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);
  std::filesystem::create_directories(std::filesystem::path(e.path).parent_path(), ec);
  synth::write_synth_dataset(*e.synth, tmp);
  std::filesystem::rename(tmp, e.path, ec);
  if (ec) std::filesystem::remove_all(tmp, ec);  // another rank was first: its folder is the same scene
  if (!io::file_exists(io::join_path(e.path, "transforms.json")))
    throw InputError(e.path, "cannot write the generated training scene");
}

SceneCache::SceneCache(const std::vector<CorpusEntry>& corpus, const NeuralInitOptions& init, uint64_t seed,
                       size_t capacity)
    : corpus_(corpus), init_(init), seed_(seed), capacity_(std::max<size_t>(1, capacity)) {}

const TrainingScene& SceneCache::get(size_t entry) {
  for (auto it = recent_.begin(); it != recent_.end(); ++it)
    if (it->first == entry) {
      recent_.splice(recent_.begin(), recent_, it);
      return recent_.front().second;
    }
  const CorpusEntry& e = corpus_.at(entry);
  ensure_generated(e);
  io::LoadOptions lo;
  lo.downscale = e.downscale;
  if (e.test_every > 0) lo.test_every = e.test_every;
  NeuralInitOptions init = init_;
  init.seed = seed_ + entry;
  recent_.emplace_front(entry, make_training_scene(io::load_dataset(e.path, lo), init));
  if (recent_.size() > capacity_) recent_.pop_back();
  return recent_.front().second;
}

}  // namespace ttgs::learn
