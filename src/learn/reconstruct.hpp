#pragma once
// Using the learned optimizer on a new scene (`ttgs reconstruct`): T learned steps from the dataset's points, with
// test-time training of the decoder before the last of them.
#include <cstdint>

#include "io/dataset.hpp"
#include "learn/model_file.hpp"
#include "learn/test_time_training.hpp"
#include "model/gaussians.hpp"

namespace ttgs::learn {

struct ReconstructOptions {
  int steps = 0;         // T (0: the model's default); outside the model's trained range: InputError
  uint64_t seed = 0;     // initial latents
  TttOptions ttt;        // test-time training during the final ttt.steps learned steps (0: off)
  bool compare_unadapted = false;  // also take the final steps without adaptation (to report the gain)
  int views_per_step = -1;  // source views each learned step renders for its gradient (0: all, see views_for_step;
                            // -1: the model's own)
  double step_scale = 0;    // multiplier of the model's step sizes (0: the model's calibrated default)
};
struct ReconstructResult {
  model::Gaussians gaussians;
  model::Gaussians initial;    // the explicit Gaussians the learned steps started from
  model::Gaussians unadapted;  // compare_unadapted and test-time training on: the result without it; else undefined
  int steps = 0;
  int views_per_step = 0;    // what the steps read (0: all source views)
  double step_scale = 1;     // the multiplier of the step sizes used
  int64_t view_renders = 0;  // view renders of the learned steps' gradients and of test-time training's check
  double time_s = 0, source_loss = 0;  // time_s excludes the unadapted comparison
  TttReport ttt;
};
ReconstructResult reconstruct(const io::Dataset& dataset, const LoadedOptimizer& model, const ReconstructOptions& options);

}  // namespace ttgs::learn
