#include "learn/test_time_training.hpp"

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

// The learned step from `state` with the gradient lifted from `input` (next), scored on `input` + λ `pretext` (loss).
struct Pretext {
  at::Tensor next, loss;
};
Pretext pretext_loss(const LearnedOptimizer& opt, const at::Tensor& state, const std::vector<View>& input,
                     const std::vector<View>& pretext, int step, int steps, double lambda) {
  const at::Tensor next = run_learned_step(opt, state, input, step, steps).detach();
  return {next, render_loss(next, opt.decoder, input) + lambda * render_loss(next, opt.decoder, pretext)};
}

}  // namespace

double mean_view_psnr(const at::Tensor& state, const Decoder& decoder, const std::vector<View>& views) {
  if (views.empty()) throw std::invalid_argument("mean_view_psnr: no views");
  at::NoGradGuard no_grad;
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
  // Held-out views spread evenly over the sequence, alternating pretext / check.
  const size_t held = std::max<size_t>(2, n / size_t(o.holdout_every));
  std::vector<bool> is_held(n, false);
  for (size_t k = 0; k < held; ++k) {
    const size_t i = std::min(n - 1, size_t((double(k) + 0.5) * double(n) / double(held)));
    is_held[i] = true;
    (k % 2 == 0 ? report.pretext_views : report.check_views).push_back(i);
  }
  for (size_t i = 0; i < n; ++i)
    if (!is_held[i]) report.input_views.push_back(i);
  const std::vector<View> input = pick(source, report.input_views);
  const std::vector<View> pretext = pick(source, report.pretext_views);
  const std::vector<View> check = pick(source, report.check_views);
  report.ran = true;

  LearnedOptimizer adapted = opt;
  adapted.decoder = {opt.decoder.weight.detach().clone(), opt.decoder.bias.detach().clone()};
  Decoder best = opt.decoder;
  at::Tensor unadapted_next, best_next;  // the learned step with the original and with the best decoder
  double best_loss = INFINITY;
  std::vector<at::Tensor*> params{&adapted.decoder.weight, &adapted.decoder.bias};
  optim::Adam adam;
  adam.add_group("decoder.weight", adapted.decoder.weight, o.lr, false);
  adam.add_group("decoder.bias", adapted.decoder.bias, o.lr, false);
  report.stop_reason = "all steps taken";
  const std::vector<View> lifted = views_for_step(input, step, o.views_per_step);
  for (int k = 0;; ++k) {
    const bool take_step = k < o.steps;
    for (at::Tensor* p : params) p->requires_grad_(take_step);
    const Pretext p = pretext_loss(adapted, state, lifted, pretext, step, steps, o.lambda);
    report.view_renders += int64_t(2 * lifted.size() + pretext.size());
    const at::Tensor& loss = p.loss;
    if (k == 0) unadapted_next = p.next;  // the decoder is still the original
    const double value = loss.item<double>();
    report.pretext_losses.push_back(value);
    if (!std::isfinite(value)) {
      report.stop_reason = "pretext loss not finite";
      break;
    }
    const double previous = k > 0 ? report.pretext_losses[size_t(k) - 1] : INFINITY;
    if (value < best_loss) {
      best_loss = value;
      best = {adapted.decoder.weight.detach().clone(), adapted.decoder.bias.detach().clone()};
      best_next = p.next;
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
  report.check_psnr_unadapted = mean_view_psnr(unadapted_next, opt.decoder, check);
  report.check_psnr_adapted = report.check_psnr_unadapted;
  report.view_renders += int64_t(check.size());
  if (report.best_step > 0) {
    report.check_psnr_adapted = mean_view_psnr(best_next, best, check);
    report.view_renders += int64_t(check.size());
    report.kept = report.check_psnr_adapted >= report.check_psnr_unadapted;
  }
  report.time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report.kept ? best : opt.decoder;
}

}  // namespace ttgs::learn
