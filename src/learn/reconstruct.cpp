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

ReconstructResult reconstruct(const io::Dataset& ds, const LoadedOptimizer& m, const ReconstructOptions& o) {
  const int steps = o.steps > 0 ? o.steps : m.steps;
  if (o.steps < 0 || steps < 1) throw InputError("--steps", "must be at least 1");
  if (steps < m.steps_min || steps > m.steps_max)
    throw InputError("--steps", "the model was trained for T in " + std::to_string(m.steps_min) + ".." +
                                    std::to_string(m.steps_max) + " (its default: " + std::to_string(m.steps) +
                                    "); other step counts are not supported");
  if (o.ttt.steps < -1 || o.ttt.steps > steps) throw InputError("--ttt-steps", "must be in 0..T");
  if (o.views_per_step < -1) throw InputError("--views-per-step", "must not be negative");
  if (!(o.step_scale >= 0)) throw InputError("--step-scale", "must be positive");
  const int per_step = o.views_per_step >= 0 ? o.views_per_step : m.views_per_step;
  const auto t0 = std::chrono::steady_clock::now();
  NeuralInitOptions init;
  init.latent = m.latent;
  init.seed = o.seed;
  const TrainingScene scene = make_training_scene(ds, init);
  LearnedOptimizer opt = m.opt;
  opt.set_scene_extent(scene.extent);
  ReconstructResult out;
  out.step_scale = o.step_scale > 0 ? o.step_scale : step_scale_at(m, steps);
  opt.gamma0 *= out.step_scale;
  out.steps = steps;
  out.views_per_step = per_step;
  out.initial = detached_gaussians(scene.initial_state, Decoder::zeros(scene.initial_state.size(1)));
  // By default the steps after the twelfth adapt, and at least the last quarter: at T = 24 the last half. Adapting
  // longer gives more on the development scenes, but the check sees only the decoder, not the trajectory the
  // adapted decoder steered, and at T = 12 half the steps adapting cost up to 0.15 dB on unseen scenes.
  const int adapting = o.ttt.steps < 0 ? std::max({1, steps / 4, steps - 12}) : o.ttt.steps;
  at::Tensor state = scene.initial_state;
  Progress progress("reconstructing", steps);
  for (int t = 0; t < steps - adapting; ++t) {
    state = run_learned_step(opt, state, views_for_step(scene.source, t, per_step), t, steps);
    progress.advance();
  }
  Decoder decoder = opt.decoder;
  double comparison_s = 0;
  if (adapting > 0) {
    if (o.compare_unadapted) {  // the same final steps (the check views left out) without adaptation
      const auto c0 = std::chrono::steady_clock::now();
      const std::vector<View> stepping =
          views_without(scene.source, ttt_check_views(scene.source.size(), o.ttt.check_views));
      out.unadapted =
          detached_gaussians(run_learned_steps(opt, state, stepping, steps - adapting, steps, per_step), opt.decoder);
      comparison_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - c0).count();
    }
    const AdaptedRun run = adapt_while_stepping(opt, state, scene.source, steps - adapting, steps, per_step, o.ttt, out.ttt);
    state = run.state;
    decoder = run.decoder;
    for (int t = steps - adapting; t < steps; ++t) progress.advance();
  } else {
    out.ttt.stop_reason = "off";
  }
  progress.finish();
  // Each step renders views_for_step's views: per_step of them, or all; the adapting steps choose among the views
  // left after the check views.
  const auto step_renders = [per_step](int64_t views) { return per_step > 0 ? std::min<int64_t>(per_step, views) : views; };
  const int64_t n = int64_t(scene.source.size()), n_stepping = n - int64_t(out.ttt.check_views.size());
  out.view_renders = int64_t(steps - adapting) * step_renders(n) + int64_t(adapting) * step_renders(n_stepping) +
                     out.ttt.view_renders;
  {
    c10::NoGradGuard no_grad;
    out.source_loss = render_loss(state, decoder, scene.source).item<double>();
  }
  out.gaussians = detached_gaussians(state, decoder);
  out.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() - comparison_s;
  return out;
}

}  // namespace ttgs::learn
