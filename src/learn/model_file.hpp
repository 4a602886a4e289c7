#pragma once
// The learned optimizer's model file (a tensor archive): configuration, network and decoder weights, the step count
// T it was trained for and the range of T it was trained across.
#include <cstdint>
#include <map>
#include <string>

#include "learn/learned_optimizer.hpp"
#include "model/tensor_archive.hpp"

namespace ttgs::learn {

// Models older than this read their inputs differently (absolute positions, max-abs gradients): refused.
constexpr int kModelVersion = 2;

struct LoadedOptimizer {
  LearnedOptimizer opt;
  int steps = 24;                  // the default T
  int steps_min = 24, steps_max = 24;  // the T it was trained across (reconstruct refuses others)
  int64_t latent = 32;
  int views_per_step = 0;  // source views each learned step reads, as trained (0: all); reconstruct's default
  // Reconstruct's default multiplier of the step sizes (γ0) per T, calibrated after training on development scenes
  // (scripts/calibrate-step-scale.sh, models/README.md); training does not read it.
  std::map<int, double> step_scales;
};

// The calibrated multiplier at T steps: linear in T between calibrated step counts, the nearest one's outside them,
// 1 when none is calibrated.
double step_scale_at(const LoadedOptimizer& model, int steps);

void add_model(model::TensorArchive& archive, const LoadedOptimizer& model);
// InputError naming the archive's path when it is not a model of this version.
LoadedOptimizer get_model(const model::TensorArchive& archive);

void save_learned_optimizer(const std::string& path, const LoadedOptimizer& model);
LoadedOptimizer load_learned_optimizer(const std::string& path);

}  // namespace ttgs::learn
