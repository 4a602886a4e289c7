#include "learn/test_time_training.hpp"

#include <c10/core/GradMode.h>
#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

#include "eval/metrics.hpp"

namespace ttgs::learn {
namespace {

std::vector<View> pick(const std::vector<View>& views, const std::vector<size_t>& indices) {
  std::vector<View> out;
  for (size_t i : indices) out.push_back(views[i]);
  return out;
}

// The stepped state decoded by `decoder`, scored on `input` + λ `pretext`.
at::Tensor pretext_loss(const at::Tensor& next, const Decoder& decoder, const std::vector<View>& input,
                        const std::vector<View>& pretext, double lambda) {
  return render_loss(next, decoder, input) + lambda * render_loss(next, decoder, pretext);
}

// Held-out views spread evenly over the sequence, alternating pretext / check; with views_per_step, at most that many
// of each (every render counts against the learned steps' budget). The rest are the input views.
void split_views(size_t n, const TttOptions& o, TttReport& report) {
  size_t held = std::max<size_t>(2, n / size_t(o.holdout_every));
  if (o.views_per_step > 0) held = std::min(held, std::max<size_t>(2, 2 * size_t(o.views_per_step)));
  std::vector<bool> is_held(n, false);
  for (size_t k = 0; k < held; ++k) {
    const size_t i = std::min(n - 1, size_t((double(k) + 0.5) * double(n) / double(held)));
    is_held[i] = true;
    (k % 2 == 0 ? report.pretext_views : report.check_views).push_back(i);
  }
  for (size_t i = 0; i < n; ++i)
    if (!is_held[i]) report.input_views.push_back(i);
}

}  // namespace

double mean_view_psnr(const at::Tensor& state, const Decoder& decoder, const std::vector<View>& views) {
  if (views.empty()) throw std::invalid_argument("mean_view_psnr: no views");
  c10::NoGradGuard no_grad;
  const model::Gaussians g = to_gaussians(decoder.decode(state));
  double sum = 0;
  for (const View& v : views) sum += eval::psnr(render_view(g, v).clamp(0, 1), v.photo, v.mask);
  return sum / double(views.size());
}

Decoder test_time_train(const LearnedOptimizer& opt, const at::Tensor& state, const std::vector<View>& source,
                        int step, int steps, const TttOptions& o, TttReport& report) {
  if (o.steps < 0 || !(o.lr > 0) || !(o.lambda >= 0) || o.holdout_every < 2)
    throw std::invalid_argument("test_time_train: needs steps >= 0, lr > 0, lambda >= 0, holdout_every >= 2");
  const auto t0 = std::chrono::steady_clock::now();
  report = TttReport{};
  const size_t n = source.size();
  if (o.steps == 0) {
    report.stop_reason = "off";
    return opt.decoder;
  }
  if (n < 3) {
    report.stop_reason = "needs at least 3 source views (one to lift from, one for the pretext loss, one to check)";
    return opt.decoder;
  }
  split_views(n, o, report);
  const std::vector<View> input = pick(source, report.input_views);
  const std::vector<View> pretext = pick(source, report.pretext_views);
  const std::vector<View> check = pick(source, report.check_views);
  report.ran = true;

  Decoder adapted{opt.decoder.weight.detach().clone(), opt.decoder.bias.detach().clone()};
  Decoder best = opt.decoder;
  double best_loss = INFINITY;
  std::vector<at::Tensor*> params{&adapted.weight, &adapted.bias};
  optim::Adam adam;
  adam.add_group("decoder.weight", adapted.weight, o.lr, false);
  adam.add_group("decoder.bias", adapted.bias, o.lr, false);
  report.stop_reason = "all steps taken";
  // The learned step, taken once with the original decoder (its lifted gradient is not differentiated, so the
  // adaptation only changes how the stepped state is decoded).
  const std::vector<View> lifted = views_for_step(input, step, o.views_per_step);
  const at::Tensor next = run_learned_step(opt, state, lifted, step, steps).detach();
  report.view_renders += int64_t(lifted.size());
  for (int k = 0;; ++k) {
    const bool take_step = k < o.steps;
    for (at::Tensor* p : params) p->requires_grad_(take_step);
    const at::Tensor loss = pretext_loss(next, adapted, lifted, pretext, o.lambda);
    report.view_renders += int64_t(lifted.size() + pretext.size());
    const double value = loss.item<double>();
    report.pretext_losses.push_back(value);
    if (!std::isfinite(value)) {
      report.stop_reason = "pretext loss not finite";
      break;
    }
    const double previous = k > 0 ? report.pretext_losses[size_t(k) - 1] : INFINITY;
    if (value < best_loss) {
      best_loss = value;
      best = {adapted.weight.detach().clone(), adapted.bias.detach().clone()};
      report.best_step = k;
    }
    if (k > 0 && !(value < previous * (1 - o.min_decrease))) {
      report.stop_reason = "pretext loss stopped decreasing";
      break;
    }
    if (!take_step) break;
    loss.backward();
    adam.step(params);
    for (at::Tensor* p : params) p->mutable_grad() = at::Tensor();
    report.steps_taken = k + 1;
  }
  for (at::Tensor* p : params) *p = p->detach();

  // The check views: seen by neither the lifted gradient nor the pretext loss. The steps were taken in the loop.
  report.check_psnr_unadapted = mean_view_psnr(next, opt.decoder, check);
  report.check_psnr_adapted = report.check_psnr_unadapted;
  report.view_renders += int64_t(check.size());
  if (report.best_step > 0) {
    report.check_psnr_adapted = mean_view_psnr(next, best, check);
    report.view_renders += int64_t(check.size());
    report.kept = report.check_psnr_adapted >= report.check_psnr_unadapted;
  }
  report.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report.kept ? best : opt.decoder;
}

}  // namespace ttgs::learn
