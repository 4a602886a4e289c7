#pragma once
// Training the learned optimizer across scenes (`ttgs train-optimizer`) and using it on a new one
// (`ttgs reconstruct`): scene preparation, the model file, training checkpoints, the loss curve.
#include <cstdint>
#include <string>
#include <vector>

#include "io/dataset.hpp"
#include "learn/learned_optimizer.hpp"
#include "learn/test_time_training.hpp"

namespace ttgs::learn {

// Source views = the training split, novel views = the test split, initial state from the dataset's points.
// InputError naming the dataset when it has no points or no training views.
TrainingScene make_training_scene(const io::Dataset& dataset, const NeuralInitOptions& init);

// The model file (a tensor archive): configuration, network and decoder weights.
void save_learned_optimizer(const std::string& path, const LearnedOptimizer& opt, int steps, int64_t latent);
struct LoadedOptimizer {
  LearnedOptimizer opt;
  int steps = 24;        // T it was trained for
  int64_t latent = 32;
};
LoadedOptimizer load_learned_optimizer(const std::string& path);

struct TrainingRun {
  std::vector<std::string> scenes;  // dataset folders
  std::string out;                  // model file; checkpoint at out + ".ckpt", loss curve at out + ".svg"
  int steps = 24, iters = 100, checkpoint_every = 10;
  bool resume = false;
  uint64_t seed = 0;
  int downscale = 1;
  UpdateNetworkConfig network;
  NeuralInitOptions init;
  TrainOptions train;
};
struct TrainingSummary {
  std::vector<double> losses;  // per pass
  double time_s = 0;
};
TrainingSummary train_learned_optimizer(const TrainingRun& run);

struct ReconstructOptions {
  int steps = 0;         // T (0: what the model was trained for)
  uint64_t seed = 0;     // initial latents
  TttOptions ttt;        // test-time training before the final steps (ttt.steps = 0: off)
  int final_steps = 0;   // learned steps after the adaptation (0: T / 4, at least 1)
  bool compare_unadapted = false;  // when the adaptation is kept, also finish without it (to report the gain)
};
struct ReconstructResult {
  model::Gaussians gaussians;
  model::Gaussians initial;    // the explicit Gaussians the learned steps started from
  model::Gaussians unadapted;  // compare_unadapted and adaptation kept: the result without it; else undefined
  int steps = 0;
  double time_s = 0, source_loss = 0;  // time_s excludes the unadapted comparison
  TttReport ttt;
};
// T learned steps from the dataset's points (the model's voxel size scaled to this scene), with test-time training
// of the decoder before the last `final_steps` of them.
ReconstructResult reconstruct(const io::Dataset& dataset, LoadedOptimizer& model, const ReconstructOptions& options);

// An SVG line plot of the values (one per pass), for the end of a training run.
std::string loss_curve_svg(const std::vector<double>& values, const std::string& title);

}  // namespace ttgs::learn
