#pragma once
// What `ttgs fit` and `ttgs bench fit` share: the fit options on the command line, and the run they describe
// (dataset, initial Gaussians or scene model, fit::fit), so the benchmark times exactly what a user runs.
#include <memory>
#include <optional>
#include <string>

#include "app/scene_inputs.hpp"
#include "fit/trainer.hpp"
#include "io/dataset.hpp"

namespace CLI {
class App;
}

namespace ttgs::app {

struct FitInputs {
  std::string data, init;
  io::LoadOptions load;
  fit::FitOptions fit;
  int threads = 0;
  int64_t random_count = 100000;
  int64_t max_gaussians = 0;
  std::string strategy = "default", lpips;
  ScenePartToggles parts;
  // Densification schedule (-1: the strategy's default): iterations, and the default strategy's gradient threshold.
  int densify_start = -1, densify_stop = -1, densify_every = -1, opacity_reset_every = -1;
  double densify_grad = -1;
};

// --data, --iters, the load options, --init, --sh-degree, --strategy, --max-gaussians, --full-batch, --random-init,
// --lpips, --eval-every, --random-background, the scene parts, --seed, --threads.
void add_fit_inputs(CLI::App& cmd, FitInputs& inputs);
// Threads and options checked (InputError naming the option), then the dataset loaded.
io::Dataset prepare_fit(FitInputs& inputs);
// What the fit starts from: the initial Gaussians the inputs say (a splat file or point cloud, the dataset's points,
// else random), as a scene model when the dataset has actors, sky or appearance to fit. Bad --init files fail here,
// before anything is written.
struct FitStart {
  model::Gaussians gaussians;
  std::optional<model::SceneModel> scene;
};
FitStart fit_start(const FitInputs& inputs, const io::Dataset& dataset);
fit::FitResult run_fit(const FitInputs& inputs, const io::Dataset& dataset, const FitStart& start);

}  // namespace ttgs::app
