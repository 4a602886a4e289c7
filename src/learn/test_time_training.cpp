#include "learn/test_time_training.hpp"

#include <c10/core/GradMode.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "eval/metrics.hpp"
#include "learn/lift.hpp"
#include "optim/adam.hpp"

namespace ttgs::learn {
std::vector<size_t> ttt_check_views(size_t n, int max_check) {
  const size_t count = std::min<size_t>(size_t(std::max(0, max_check)), n / 4);
  std::vector<size_t> out;
  for (size_t k = 0; k < count; ++k) out.push_back(std::min(n - 1, size_t((double(k) + 0.5) * double(n) / double(count))));
  return out;
}

std::vector<View> views_without(const std::vector<View>& source, const std::vector<size_t>& excluded) {
  std::vector<View> out;
  for (size_t i = 0; i < source.size(); ++i)
    if (std::find(excluded.begin(), excluded.end(), i) == excluded.end()) out.push_back(source[i]);
  return out;
}

double mean_view_psnr(const at::Tensor& state, const Decoder& decoder, const std::vector<View>& views) {
  if (views.empty()) throw std::invalid_argument("mean_view_psnr: no views");
  c10::NoGradGuard no_grad;
  const model::Gaussians g = to_gaussians(decoder.decode(state));
  double sum = 0;
  for (const View& v : views) sum += eval::psnr(render_view(g, v).clamp(0, 1), v.photo, v.mask);
  return sum / double(views.size());
}

AdaptedRun adapt_while_stepping(const LearnedOptimizer& opt, const at::Tensor& state, const std::vector<View>& source,
                                int first_step, int steps, int views_per_step, const TttOptions& o,
                                TttReport& report) {
  if (!(o.lr > 0) || first_step < 0 || first_step > steps)
    throw std::invalid_argument("adapt_while_stepping: needs lr > 0 and 0 <= first_step <= steps");
  const auto t0 = std::chrono::steady_clock::now();
  report = TttReport{};
  report.check_views = ttt_check_views(source.size(), o.check_views);
  if (report.check_views.empty()) {
    report.stop_reason = "needs at least 4 source views (a quarter of them to check the adaptation)";
    return {run_learned_steps(opt, state, source, first_step, steps, views_per_step), opt.decoder};
  }
  report.ran = true;
  report.stop_reason = "all steps taken";
  const std::vector<View> stepping = views_without(source, report.check_views);
  std::vector<View> check;
  for (size_t i : report.check_views) check.push_back(source[i]);

  Decoder adapted{opt.decoder.weight.detach().clone(), opt.decoder.bias.detach().clone()};
  const Decoder before_adaptation{adapted.weight.clone(), adapted.bias.clone()};
  const std::vector<at::Tensor*> params{&adapted.weight, &adapted.bias};
  optim::Adam adam;
  adam.add_group("decoder.weight", adapted.weight, o.lr, false);
  adam.add_group("decoder.bias", adapted.bias, o.lr, false);
  bool adapting = true;
  at::Tensor current = state.detach();
  for (int t = first_step; t < steps; ++t) {
    const std::vector<View> views = views_for_step(stepping, t, views_per_step);
    if (!adapting) {
      current = run_learned_step(opt, current, views, t, steps).detach();
      continue;
    }
    for (at::Tensor* p : params) p->requires_grad_(true);
    const LiftedGradient lifted = lift_gradients(current, adapted, views, 0.2, /*differentiate_decoder=*/true);
    const at::Tensor& normalized = lifted.normalized;
    const double loss = lifted.loss / double(views.size());
    report.losses.push_back(loss);
    const bool finite = std::isfinite(loss) && at::isfinite(normalized).all().item<bool>();
    if (finite) adam.step(params);
    for (at::Tensor* p : params) {
      p->mutable_grad() = at::Tensor();
      *p = p->detach();
    }
    if (!finite) {  // the divergence guard: drop the adaptation, take this step as the model would
      report.stop_reason = "loss not finite";
      adapting = false;
      adapted = before_adaptation;
      current = run_learned_step(opt, current, views, t, steps).detach();
      continue;
    }
    ++report.steps;
    c10::NoGradGuard no_grad;
    current = apply_learned_step(opt, current, normalized, t, steps).detach();
  }
  // The check views: no adapting step rendered them.
  report.check_psnr_unadapted = mean_view_psnr(current, opt.decoder, check);
  report.check_psnr_adapted = mean_view_psnr(current, adapted, check);
  report.view_renders = 2 * int64_t(check.size());
  report.kept = report.steps > 0 && report.check_psnr_adapted >= report.check_psnr_unadapted;
  if (!report.kept) {  // the steps lifted through the adapted decoder: take them again as the model would
    current = run_learned_steps(opt, state, stepping, first_step, steps, views_per_step);
    for (int t = first_step; t < steps; ++t)
      report.view_renders += int64_t(views_for_step(stepping, t, views_per_step).size());
  }
  report.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {current, report.kept ? adapted : opt.decoder};
}

}  // namespace ttgs::learn
