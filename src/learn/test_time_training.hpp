#pragma once
// Test-time training (TTT): the learned optimizer's light part — the decoder (one linear layer, 14 x C weights and
// 14 biases) — adapted to the new scene online, during its final K learned steps, from the renders those steps take
// anyway.
//
// A few source views (evenly spaced, at most a quarter of them) are held out of the final steps as check views. Each
// of the K steps renders its views (chosen among the others, as views_for_step does) with the decoder being adapted;
// one backward pass of their photometric loss gives both the gradient the learned step reads and the decoder's
// gradient, and Adam updates the decoder after the step. The adaptation costs no render of its own: only the check
// (the final state decoded by the adapted and by the original decoder, scored on the check views, which no
// adapting step saw). The adapted decoder is kept only when it is not worse there; otherwise the final steps are taken
// again without adaptation (their renders counted), so the result is what the model gives without it.
#include <cstdint>
#include <string>
#include <vector>

#include "learn/learned_optimizer.hpp"

namespace ttgs::learn {

struct TttOptions {
  int steps = -1;       // K final learned steps that adapt the decoder (-1: max(T / 4, T - 12, 1); 0: off)
  double lr = 1e-3;     // Adam on the decoder
  int check_views = 4;  // source views held out of the adapting steps for the check (at most a quarter of them)
};

struct TttReport {
  bool ran = false;   // false when off or the scene has too few source views (reason in stop_reason)
  bool kept = false;  // the adapted decoder decodes the result
  int steps = 0;      // adapting steps taken
  std::string stop_reason;
  std::vector<double> losses;      // photometric loss of each adapting step's views, before its decoder update
  std::vector<size_t> check_views; // indices into the source views
  double check_psnr_unadapted = 0, check_psnr_adapted = 0;  // mean PSNR on the check views, dB
  int64_t view_renders = 0;  // the check's renders, and the retaken steps' when not kept (the adapting steps'
                             // renders are the learned steps' own)
  double time_s = 0;
};

// The check views of `source_views` views: evenly spaced, min(max_check, n / 4); empty below 4 views.
std::vector<size_t> ttt_check_views(size_t source_views, int max_check);
// The source views without the check views.
std::vector<View> views_without(const std::vector<View>& source, const std::vector<size_t>& excluded);

struct AdaptedRun {
  at::Tensor state;  // after the last learned step
  Decoder decoder;   // decodes `state`: the adapted decoder when kept, else opt.decoder (bit-identical) and `state`
                     // the steps taken without adaptation
};
// Learned steps first_step..steps-1 from `state`, each on views_for_step of the non-check views, adapting a copy of
// opt.decoder as described above (options.steps is not read: the caller chose first_step).
AdaptedRun adapt_while_stepping(const LearnedOptimizer& opt, const at::Tensor& state, const std::vector<View>& source,
                                int first_step, int steps, int views_per_step, const TttOptions& options,
                                TttReport& report);

// Mean PSNR (dB) of the decoded state over the views (valid pixels only).
double mean_view_psnr(const at::Tensor& state, const Decoder& decoder, const std::vector<View>& views);

}  // namespace ttgs::learn
