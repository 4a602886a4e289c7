// The rasterizer's kernels, one at a time (Google Benchmark): projection, binning, compositing forward and backward,
// on a dense scene (Gaussians on a wall in front of the camera, isotropic, opacity 0.1, SH degree 3).
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

#include "core/parallel.hpp"
#include "loss/ssim_kernel.hpp"
#include "render/project.hpp"
#include "render/rasterize.hpp"

namespace {
using namespace ttgs::render;  // NOLINT: benchmark file, not a header

struct Scene {
  Intrinsics intr{409.6, 409.6, 256, 192, 512, 384};
  std::vector<float> means, log_scales, quats, opacity, sh_dc, sh_rest, viewmat;
  GaussianParams<float> params;
  explicit Scene(int64_t n) {
    std::mt19937 rng(0);
    std::uniform_real_distribution<float> u(-1, 1);
    const float spacing = std::sqrt(6.25f * 4.7f / float(n));  // wall of 6.25 x 4.7 at z = 5, as bench render
    for (int64_t i = 0; i < n; ++i) {
      means.insert(means.end(), {3.1f * u(rng), 2.35f * u(rng), 5.0f + 0.2f * u(rng)});
      log_scales.insert(log_scales.end(), 3, std::log(spacing));
      quats.insert(quats.end(), {1, 0, 0, 0});
      opacity.push_back(std::log(0.1f / 0.9f));
      for (int k = 0; k < 3; ++k) sh_dc.push_back(u(rng));
      for (int k = 0; k < 15 * 3; ++k) sh_rest.push_back(0.05f * u(rng));
    }
    viewmat = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
    params = {n, 16, means.data(), log_scales.data(), quats.data(), opacity.data(), sh_dc.data(), sh_rest.data()};
  }
};

void BM_Project(benchmark::State& state) {
  ttgs::set_num_threads(int(state.range(1)));
  Scene s(state.range(0));
  Projected<float> p;
  for (auto _ : state) project_forward(s.params, s.viewmat.data(), s.intr, {}, p);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

// The scene projected, binned and rendered once: what the later stages start from.
struct Prepared : Scene {
  Projected<float> proj;
  TileBins bins;
  RasterOutput<float> out;
  const float bg[3] = {0, 0, 0};
  Prepared(int64_t n, int threads) : Scene((ttgs::set_num_threads(threads), n)) {
    project_forward(params, viewmat.data(), intr, {}, proj);
    bin_gaussians(proj, intr, bins);
    rasterize_forward(proj, bins, intr, {}, bg, false, out);
  }
};

void BM_Bin(benchmark::State& state) {
  Prepared s(state.range(0), int(state.range(1)));
  for (auto _ : state) bin_gaussians(s.proj, s.intr, s.bins);
  state.counters["pairs"] = double(s.bins.ids.size());
}

void BM_RasterizeForward(benchmark::State& state) {
  Prepared s(state.range(0), int(state.range(1)));
  for (auto _ : state) rasterize_forward(s.proj, s.bins, s.intr, {}, s.bg, false, s.out);
}

void BM_RasterizeBackward(benchmark::State& state) {
  Prepared s(state.range(0), int(state.range(1)));
  const std::vector<float> d_rgb(s.out.rgb.size(), 1e-3f);
  ProjectedGrads<float> grads;
  std::vector<float> d_bg;
  for (auto _ : state)
    rasterize_backward(s.proj, s.bins, s.intr, RasterConfig{}, s.bg, false, s.out, d_rgb.data(),
                       static_cast<const float*>(nullptr), static_cast<const float*>(nullptr), grads, d_bg);
}

void BM_ProjectBackward(benchmark::State& state) {
  Prepared s(state.range(0), int(state.range(1)));
  ProjectedGrads<float> in;
  in.resize(s.proj.n);
  for (size_t k = 0; k < in.mean2d.size(); ++k) in.mean2d[k] = 1e-3f;
  for (size_t k = 0; k < in.conic.size(); ++k) in.conic[k] = 1e-3f;
  for (size_t k = 0; k < in.color.size(); ++k) in.color[k] = 1e-3f;
  for (size_t k = 0; k < in.opacity.size(); ++k) in.opacity[k] = 1e-3f;
  GaussianGrads<float> out;
  for (auto _ : state) project_backward(s.params, s.viewmat.data(), s.intr, {}, s.proj, in, out);
}

// The fused SSIM kernels on a 512x384 RGB pair (the training loss's other half).
struct SsimImages {
  int H = 384, W = 512;
  std::vector<float> x, y, dx;
  ttgs::loss::SsimState<float> state;
  explicit SsimImages(int threads) : x(size_t(384) * 512 * 3), y(x.size()), dx(x.size()) {
    ttgs::set_num_threads(threads);
    for (size_t i = 0; i < x.size(); ++i) {
      x[i] = float((i * 2654435761u) % 1000) / 1000.f;
      y[i] = float((i * 40503u + 7) % 1000) / 1000.f;
    }
    ttgs::loss::ssim_forward(x.data(), y.data(), H, W, 3, state);
  }
};

void BM_SsimForward(benchmark::State& state) {
  SsimImages s(int(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(ttgs::loss::ssim_forward(s.x.data(), s.y.data(), s.H, s.W, 3, s.state));
}

void BM_SsimBackward(benchmark::State& state) {
  SsimImages s(int(state.range(0)));
  for (auto _ : state) ttgs::loss::ssim_backward(s.x.data(), s.y.data(), s.state, 1.0f, s.dx.data());
}

BENCHMARK(BM_SsimForward)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SsimBackward)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

#define TTGS_RENDER_ARGS ->Args({1500, 1})->Args({1500, 2})->Args({50000, 1})->Args({50000, 2})->Unit(benchmark::kMillisecond)
BENCHMARK(BM_Project) TTGS_RENDER_ARGS;
BENCHMARK(BM_ProjectBackward) TTGS_RENDER_ARGS;
BENCHMARK(BM_Bin) TTGS_RENDER_ARGS;
BENCHMARK(BM_RasterizeForward) TTGS_RENDER_ARGS;
BENCHMARK(BM_RasterizeBackward) TTGS_RENDER_ARGS;

}  // namespace

BENCHMARK_MAIN();
