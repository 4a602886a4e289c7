#include "learn/reconstruct.hpp"

#include <c10/core/GradMode.h>
#include <algorithm>
#include <chrono>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "learn/training.hpp"

namespace ttgs::learn {
namespace {
model::Gaussians detached_gaussians(const at::Tensor& state, const Decoder& decoder) {
  c10::NoGradGuard no_grad;
  model::Gaussians g = to_gaussians(decoder.decode(state));
  for (at::Tensor* t : g.tensors()) *t = t->detach().contiguous();
  return g;
}
}  // namespace

ReconstructResult reconstruct(const io::Dataset& ds, LoadedOptimizer& m, const ReconstructOptions& o) {
  const int steps = o.steps > 0 ? o.steps : m.steps;
  if (o.steps < 0 || steps < 1) throw InputError("--steps", "must be at least 1");
  if (steps < m.steps_min || steps > m.steps_max)
    throw InputError("--steps", "the model was trained for T in " + std::to_string(m.steps_min) + ".." +
                                    std::to_string(m.steps_max) + " (its default: " + std::to_string(m.steps) +
                                    "); other step counts are not supported");
  if (o.final_steps < 0 || o.final_steps > steps) throw InputError("--final-steps", "must be in 0..T");
  if (o.views_per_step < -1) throw InputError("--views-per-step", "must not be negative");
  const int per_step = o.views_per_step >= 0 ? o.views_per_step : m.views_per_step;
  const auto t0 = std::chrono::steady_clock::now();
  NeuralInitOptions init;
  init.latent = m.latent;
  init.seed = o.seed;
  const TrainingScene scene = make_training_scene(ds, init);
  m.opt.set_scene_extent(scene.extent);
  ReconstructResult out;
  out.steps = steps;
  out.views_per_step = per_step;
  out.initial = detached_gaussians(scene.initial_state, Decoder::zeros(scene.initial_state.size(1)));
  const int final_steps = o.ttt.steps > 0 ? (o.final_steps > 0 ? o.final_steps : std::max(1, steps / 4)) : 0;
  at::Tensor state = scene.initial_state;
  Progress progress("reconstructing", steps);
  for (int t = 0; t < steps - final_steps; ++t) {
    state = run_learned_step(m.opt, state, views_for_step(scene.source, t, per_step), t, steps);
    progress.advance();
  }
  LearnedOptimizer finishing = m.opt;
  at::Tensor unadapted_state;
  double comparison_s = 0;
  if (final_steps > 0) {
    TttOptions ttt = o.ttt;
    ttt.views_per_step = per_step;
    finishing.decoder = test_time_train(m.opt, state, scene.source, steps - final_steps, steps, ttt, out.ttt);
    if (out.ttt.kept && o.compare_unadapted) {
      const auto c0 = std::chrono::steady_clock::now();
      unadapted_state = state;
      for (int t = steps - final_steps; t < steps; ++t)
        unadapted_state =
            run_learned_step(m.opt, unadapted_state, views_for_step(scene.source, t, per_step), t, steps);
      out.unadapted = detached_gaussians(unadapted_state, m.opt.decoder);
      comparison_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
    }
  }
  for (int t = steps - final_steps; t < steps; ++t) {
    state = run_learned_step(finishing, state, views_for_step(scene.source, t, per_step), t, steps);
    progress.advance();
  }
  progress.finish();
  const int64_t n = int64_t(scene.source.size());
  out.view_renders = int64_t(steps) * (per_step > 0 ? std::min<int64_t>(per_step, n) : n) + out.ttt.view_renders;
  {
    c10::NoGradGuard no_grad;
    out.source_loss = render_loss(state, finishing.decoder, scene.source).item<double>();
  }
  out.gaussians = detached_gaussians(state, finishing.decoder);
  out.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - comparison_s;
  return out;
}

}  // namespace ttgs::learn
