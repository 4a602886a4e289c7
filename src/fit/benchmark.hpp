#pragma once
// `ttgs bench render`: timings of the rasterizer on a scene shaped like a freshly initialized one — N Gaussians on
// surfaces in front of the camera (a back wall, a floor and a sphere), isotropic scales from the mean distance to
// the 3 nearest neighbours, opacity 0.1, SH degree 3 — so that they cover the image.
#include <cstdint>
#include <string>
#include <vector>

#include "fit/trainer.hpp"

namespace ttgs::fit {

struct BenchOptions {
  int width = 512, height = 384;
  int64_t gaussians = 1500;
  int iters = 20, warmup = 3;
  int threads = 0;  // 0 = all cores
  uint64_t seed = 0;
  std::string save_scene;  // when set: the timed Gaussians as a .ply (camera at the origin looking down +z)
};

struct BenchResult {
  double forward_ms = 0, backward_ms = 0, iteration_ms = 0;  // medians
  // Medians of the parts of a training iteration: render, L1 + SSIM loss, backward (loss and rasterizer), Adam step.
  double iteration_render_ms = 0, iteration_loss_ms = 0, iteration_backward_ms = 0, iteration_step_ms = 0;
  double splats_per_pixel = 0;   // Σ (3-sigma square area) / pixels: Gaussians a pixel looks at, on average
  int64_t visible = 0;
  int threads = 1;
  std::string to_json(const BenchOptions& o) const;
};

BenchResult benchmark_render(const BenchOptions& options);

// Time to quality (`ttgs bench fit`): a fit's evaluations on the test views against the optimization time alone
// (the time of earlier evaluations taken out).
struct QualityPoint {
  int step = 0;
  double optimization_s = 0;
  double test_psnr = 0;
  int64_t num_gaussians = 0;
};
std::vector<QualityPoint> quality_curve(const std::vector<HistoryEntry>& history);
// Optimization seconds at the first evaluation reaching `psnr` (negative: never reached).
double time_to_psnr(const std::vector<QualityPoint>& curve, double psnr);

}  // namespace ttgs::fit
