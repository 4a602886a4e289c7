#pragma once
// Densification strategies behind one small interface: the trainer calls after_backward (gather statistics) and
// after_step (densify, prune, reset) every iteration; a strategy may change the number of Gaussians and keeps the
// optimizer's state in step with them.
#include <memory>
#include <string>

#include "model/gaussians.hpp"
#include "optim/adam.hpp"
#include "render/rasterizer.hpp"

namespace ttgs::optim {

struct StrategyContext {
  int step = 0;          // 1-based iteration that just ran
  int total_steps = 0;   // of the whole run: refinement stops in time for the model to settle
  int width = 0, height = 0;
  double scene_extent = 1;
};

class IStrategy {
 public:
  virtual ~IStrategy() = default;
  virtual void after_backward(const model::Gaussians& g, const render::RenderResult& r, const StrategyContext& c) = 0;
  virtual void after_step(model::Gaussians& g, GaussianAdam& adam, const StrategyContext& c) = 0;
};

// The 3DGS schedule (the paper's numbers), cut short for short runs: densification stops at the latest at 80% of
// the run, and no opacity reset happens in the last `reset_every / 3` steps (the model would not recover).
struct DefaultStrategyOptions {
  int refine_start = 500, refine_stop = 15000, refine_every = 100, reset_every = 3000;
  double grad_threshold = 0.0002;  // mean screen-space gradient, in normalized device units
  double dense_fraction = 0.01;    // clone below, split above this fraction of the scene extent
  double prune_opacity = 0.005;
  double max_world_scale = 0.1;    // fraction of the scene extent (after the first opacity reset)
  int max_screen_radius = 20;      // pixels (after the first opacity reset)
  int64_t max_gaussians = 3'000'000;
};

// Clone / split by accumulated screen-space gradient, prune by opacity and size, periodic opacity reset.
std::unique_ptr<IStrategy> make_default_strategy(const DefaultStrategyOptions& options);

// Re-attaches every attribute as a leaf that requires grad (after a strategy replaced tensors).
void make_trainable(model::Gaussians& g);

}  // namespace ttgs::optim
