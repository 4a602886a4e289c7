#pragma once
// Test-time training (TTT): before the learned optimizer's final steps, adapt its light part — the decoder (one
// linear layer, 14 x C weights and 14 biases) — to the new scene with a few gradient steps on a self-supervised
// loss built from the scene's own source views.
//
// The source views are split three ways: every `holdout_every`-th view is held out of the gradient input, and the
// held-out views alternate between a "pretext" set and a "check" set. One learned step is taken from the current
// state with the gradient lifted from the remaining views only (with views_per_step: that many of them, and at most
// that many pretext and check views); the pretext loss is the photometric loss of that updated state, decoded by the
// decoder being adapted, on the views it saw plus λ times the loss on the pretext views it did not see (consistency:
// an update must also explain views it was not given). The step is taken once, with the original decoder (its
// lifted gradient is not differentiated). Adam on the decoder, a small learning rate, stopping early when the loss
// stops decreasing and keeping the step with the lowest loss. Then the stepped state decoded by the adapted and by
// the original decoder is scored on the check views (seen by neither the gradient input nor the pretext loss): the
// adapted decoder is kept only when it is not worse there.
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "learn/learned_optimizer.hpp"

namespace ttgs::learn {

struct TttOptions {
  int steps = 4;               // K gradient steps (0: off)
  double lr = 2e-4;            // Adam on the decoder (2e-3 overshoots on a trained decoder: the pretext loss rises)
  double lambda = 1.0;         // weight of the held-out (consistency) loss against the reconstruction loss
  int holdout_every = 4;       // every Nth source view is held out of the gradient input
  double min_decrease = 1e-4;  // relative decrease of the pretext loss below which adaptation stops
  int views_per_step = 0;      // input views each adaptation step lifts from and is scored on (0: all; views_for_step)
};

struct TttReport {
  bool ran = false;    // false when the scene has too few source views (reason in stop_reason)
  bool kept = false;   // the adapted decoder was used for the final steps
  int steps_taken = 0;
  int best_step = 0;   // pretext-loss minimum (0 = the original decoder)
  std::string stop_reason;
  std::vector<double> pretext_losses;  // before each step, then after the last
  std::vector<size_t> pretext_views, check_views, input_views;  // indices into the source views
  double check_psnr_unadapted = 0, check_psnr_adapted = 0;     // mean PSNR on the check views, dB
  int64_t view_renders = 0;  // view renders the adaptation took (lifting, pretext loss and checks)
  double time_s = 0;
};

// Adapts a copy of opt.decoder at learned step `step` of `steps` from `state`. Returns the decoder to use for the
// remaining steps: the adapted one when it is kept, otherwise the original (bit-identical).
Decoder test_time_train(const LearnedOptimizer& opt, const at::Tensor& state, const std::vector<View>& source,
                        int step, int steps, const TttOptions& options, TttReport& report);

// Mean PSNR (dB) of the decoded state over the views (valid pixels only).
double mean_view_psnr(const at::Tensor& state, const Decoder& decoder, const std::vector<View>& views);

}  // namespace ttgs::learn
