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
  TttOptions ttt;        // test-time training before the final steps (ttt.steps = 0: off)
  int final_steps = 0;   // learned steps after the adaptation (0: T / 4, at least 1)
  bool compare_unadapted = false;  // when the adaptation is kept, also finish without it (to report the gain)
  int views_per_step = -1;  // source views each learned step renders for its gradient (0: all, see views_for_step;
                            // -1: the model's own)
};
struct ReconstructResult {
  model::Gaussians gaussians;
  model::Gaussians initial;    // the explicit Gaussians the learned steps started from
  model::Gaussians unadapted;  // compare_unadapted and adaptation kept: the result without it; else undefined
  int steps = 0;
  int views_per_step = 0;    // what the steps read (0: all source views)
  int64_t view_renders = 0;  // view renders of the learned steps' gradients and of test-time training
  double time_s = 0, source_loss = 0;  // time_s excludes the unadapted comparison
  TttReport ttt;
};
ReconstructResult reconstruct(const io::Dataset& dataset, LoadedOptimizer& model, const ReconstructOptions& options);

}  // namespace ttgs::learn
