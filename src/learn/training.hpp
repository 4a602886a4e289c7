#pragma once
// Training the learned optimizer across scenes (`ttgs train-optimizer`): batches of scenes drawn from a weighted
// corpus, each batch run with one T drawn from the trained range, gradients averaged over the batch and over the
// ranks of a multi-process job; checkpoints (network, Adam, batch counter, guard) to resume from, on this machine or
// another; a JSON-lines log and a loss curve.
#include <cstdint>
#include <string>
#include <vector>

#include "dist/collective.hpp"
#include "io/dataset.hpp"
#include "learn/corpus.hpp"
#include "learn/learned_optimizer.hpp"
#include "learn/model_file.hpp"

namespace ttgs::learn {

// Source views = the training split, novel views = the test split, initial state from the dataset's points.
// InputError naming the dataset when it has no points or no training views.
TrainingScene make_training_scene(const io::Dataset& dataset, const NeuralInitOptions& init);

struct TrainingRun {
  std::vector<CorpusEntry> corpus;
  std::string out;  // model file; checkpoint OUT.ckpt, log OUT.log.jsonl, loss curve OUT.svg
  int steps = 24;                      // the model's default T
  int steps_min = 24, steps_max = 24;  // each batch draws its T from this range
  int iters = 100;                     // batches (network updates: T per batch)
  int scenes_per_rank = 1;             // a batch holds scenes_per_rank x ranks scenes
  int checkpoint_every = 10;           // batches
  size_t cached_scenes = 16;           // loaded scenes kept in memory per rank
  bool resume = false;
  std::string init_model;  // start from this model's weights (fine-tuning; its network configuration and latent)
  uint64_t seed = 0;
  UpdateNetworkConfig network;
  NeuralInitOptions init;
  TrainOptions train;
};
struct TrainingSummary {
  std::vector<double> losses;  // per batch (the whole run, resumed parts included)
  int first_batch = 0;         // where this call started (resumed: > 0)
  double time_s = 0;
};
// Every rank of `ranks` calls this with the same run; rank 0 writes the model, checkpoints, log and curve.
TrainingSummary train_learned_optimizer(const TrainingRun& run, dist::Collective& ranks);

// An SVG line plot of the values (one per batch), for the end of a training run.
std::string loss_curve_svg(const std::vector<double>& values, const std::string& title);

}  // namespace ttgs::learn
