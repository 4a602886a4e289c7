// Throughput of the readers and of the on-load image work (undistortion, downscaling).
#include <benchmark/benchmark.h>

#include <random>

#include "core/image.hpp"
#include "core/parallel.hpp"
#include "io/file_util.hpp"
#include "io/ply.hpp"
#include "io/undistort.hpp"

namespace {

ttgs::SplatData random_splats(size_t n) {
  ttgs::SplatData s;
  s.resize(n, 3);
  std::mt19937 rng(0);
  std::normal_distribution<float> g;
  for (auto* v : {&s.means, &s.log_scales, &s.quats, &s.opacity_logits, &s.sh_dc, &s.sh_rest})
    for (float& x : *v) x = g(rng);
  return s;
}

void BM_PlyEncode(benchmark::State& state) {
  const ttgs::SplatData s = random_splats(size_t(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(ttgs::io::encode_splat_ply(s));
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PlyEncode)->Arg(15105)->Arg(500000)->Unit(benchmark::kMillisecond);

void BM_PlyParse(benchmark::State& state) {
  const std::string bytes = ttgs::io::encode_splat_ply(random_splats(size_t(state.range(0))));
  for (auto _ : state) benchmark::DoNotOptimize(ttgs::io::parse_splat_ply(bytes, "bench.ply"));
  state.SetItemsProcessed(state.iterations() * state.range(0));
  state.SetBytesProcessed(state.iterations() * int64_t(bytes.size()));
}
BENCHMARK(BM_PlyParse)->Arg(15105)->Arg(500000)->Unit(benchmark::kMillisecond);

void BM_UndistortFullHd(benchmark::State& state) {
  ttgs::set_num_threads(int(state.range(0)));
  ttgs::Camera cam;
  cam.fx = cam.fy = 1375;
  cam.cx = 540;
  cam.cy = 960;
  cam.width = 1080;
  cam.height = 1920;
  ttgs::Distortion d;
  d.k1 = 0.0578;
  d.k2 = -0.0805;
  d.p1 = -0.00098;
  const ttgs::Image img(cam.width, cam.height, 3, 0.5f);
  for (auto _ : state) {
    const auto map = ttgs::io::make_undistort_map(cam, d);
    benchmark::DoNotOptimize(ttgs::io::remap_bilinear(img, map));
  }
  state.SetItemsProcessed(state.iterations() * cam.width * cam.height);
}
BENCHMARK(BM_UndistortFullHd)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

void BM_DownscaleArea(benchmark::State& state) {
  const ttgs::Image img(1080, 1920, 3, 0.5f);
  for (auto _ : state) benchmark::DoNotOptimize(ttgs::downscale_area(img, int(state.range(0))));
}
BENCHMARK(BM_DownscaleArea)->Arg(2)->Arg(4)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
