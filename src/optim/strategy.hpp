#pragma once
// Densification strategies behind one small interface: the trainer calls after_backward (gather statistics) and
// after_step (densify, prune, reset) every iteration; a strategy may change the number of Gaussians and keeps the
// optimizer's state in step with them.
#include <algorithm>
#include <memory>
#include <string>

#include "model/gaussians.hpp"
#include "model/tensor_archive.hpp"
#include "optim/adam.hpp"
#include "render/rasterizer.hpp"

namespace ttgs::optim {

struct StrategyContext {
  int step = 0;          // 1-based iteration that just ran
  int total_steps = 0;   // of the whole run: refinement stops in time for the model to settle
  int width = 0, height = 0;
  double scene_extent = 1;
};

// Refinement stops at `refine_stop`, and at the latest at 80% of a run of `total_steps` (0: unknown length) so that
// the model settles.
inline int refine_end(int refine_stop, int total_steps) {
  return total_steps > 0 ? std::min(refine_stop, int(0.8 * total_steps)) : refine_stop;
}

class IStrategy {
 public:
  virtual ~IStrategy() = default;
  virtual void after_backward(const model::Gaussians& g, const render::RenderResult& r, const StrategyContext& c) = 0;
  virtual void after_step(model::Gaussians& g, Adam& adam, const StrategyContext& c) = 0;
  // The step at which refinement (densification, relocation) ends in a run of `total_steps` (0: it never refines).
  virtual int refine_end(int /*total_steps*/) const { return 0; }
  // A term added to the training loss (undefined: none).
  virtual at::Tensor regularizer(const model::Gaussians&) const { return {}; }
  // Statistics gathered between refinements, for checkpoints.
  virtual void save_state(model::TensorArchive&) const {}
  virtual void load_state(const model::TensorArchive&) {}
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

// No densification: the Gaussians keep their number (the G3R paper's full-batch baseline).
std::unique_ptr<IStrategy> make_fixed_strategy();

// 3DGS-MCMC with gsplat's defaults: relocation of Gaussians below `min_opacity`, 5% growth per refinement up to
// `max_gaussians`, position noise gated by sigmoid(-noise_sharpness * (opacity - noise_opacity)) and scaled by
// noise_lr x the current position learning rate, L1 regularizers on opacity and scale.
struct McmcStrategyOptions {
  int refine_start = 500, refine_stop = 25000, refine_every = 100;
  double min_opacity = 0.005;
  int64_t max_gaussians = 1'000'000;
  int max_copies = 50;  // a source sampled more often is treated as this many copies
  double noise_lr = 5e5, noise_sharpness = 100, noise_opacity = 0.005;
  double opacity_reg = 0.01, scale_reg = 0.01;
};
std::unique_ptr<IStrategy> make_mcmc_strategy(const McmcStrategyOptions& options);

// Re-attaches every attribute as a leaf that requires grad (after a strategy replaced tensors).
void make_trainable(model::Gaussians& g);

}  // namespace ttgs::optim
