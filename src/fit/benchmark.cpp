#include "fit/benchmark.hpp"


#include <algorithm>
#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>

#include "core/memory.hpp"
#include "core/parallel.hpp"
#include "io/ply.hpp"
#include "loss/photometric.hpp"
#include "model/init.hpp"
#include "model/threads.hpp"
#include "optim/adam.hpp"
#include "optim/strategy.hpp"
#include "render/rasterizer.hpp"

namespace ttgs::fit {
using render::Intrinsics;
using render::RenderResult;
using render::RenderSettings;
using render::render;
namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Points on a back wall, a floor and a sphere inside the view of a camera at the origin looking down +z.
PointCloud surface_points(int64_t n, double tan_x, double tan_y, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  PointCloud pc;
  const double wall_z = 5, floor_y = 1.0;
  for (int64_t i = 0; i < n; ++i) {
    const double pick = u(rng);
    double x, y, z;
    if (pick < 0.55) {  // back wall
      z = wall_z;
      x = (2 * u(rng) - 1) * tan_x * z;
      y = (2 * u(rng) - 1) * tan_y * z;
    } else if (pick < 0.8) {  // floor, inside the frustum
      z = 1.5 + 3.5 * u(rng);
      y = std::min(floor_y, tan_y * z);
      x = (2 * u(rng) - 1) * tan_x * z;
    } else {  // sphere
      const double th = std::acos(2 * u(rng) - 1), ph = 2 * M_PI * u(rng);
      x = 0.3 + 0.8 * std::sin(th) * std::cos(ph);
      y = 0.1 + 0.8 * std::sin(th) * std::sin(ph);
      z = 3.5 + 0.8 * std::cos(th);
    }
    for (double v : {x, y, z}) pc.positions.push_back(float(v));
    for (int c = 0; c < 3; ++c) pc.colors.push_back(float(0.2 + 0.6 * u(rng)));
  }
  return pc;
}

template <typename F>
double time_ms(F&& f) {
  const auto t0 = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::string BenchResult::to_json(const BenchOptions& o) const {
  nlohmann::json j = {{"width", o.width},           {"height", o.height},         {"gaussians", o.gaussians},
                      {"iters", o.iters},           {"threads", threads},         {"forward_ms", forward_ms},
                      {"backward_ms", backward_ms}, {"iteration_ms", iteration_ms}, {"splats_per_pixel", splats_per_pixel},
                      {"visible", visible}, {"peak_resident_mib", peak_resident_mib()},
                      {"iteration_parts_ms", {{"render", iteration_render_ms}, {"loss", iteration_loss_ms},
                                              {"backward", iteration_backward_ms}, {"adam", iteration_step_ms}}}};
  return j.dump();
}

BenchResult benchmark_render(const BenchOptions& o) {
  BenchResult r;
  model::configure_threads(o.threads);
  r.threads = num_threads();
  Intrinsics intr;
  intr.width = o.width;
  intr.height = o.height;
  intr.fx = intr.fy = 0.8 * o.width;
  intr.cx = 0.5 * o.width;
  intr.cy = 0.5 * o.height;
  const PointCloud pc = surface_points(o.gaussians, 0.5 * o.width / intr.fx, 0.5 * o.height / intr.fy, o.seed);
  model::Gaussians g = model::init_from_points(pc, {});
  if (!o.save_scene.empty()) io::write_splat_ply(o.save_scene, model::to_splat_data(g));
  for (at::Tensor* t : g.tensors()) t->requires_grad_(true);
  const at::Tensor viewmat = at::eye(4, at::kFloat);
  RenderSettings settings;
  at::manual_seed(int64_t(o.seed));
  const at::Tensor target = at::rand({o.height, o.width, 3});
  const at::Tensor weights = at::rand({o.height, o.width, 3});

  std::vector<double> fwd, bwd, iter;
  for (int k = 0; k < o.warmup + o.iters; ++k) {
    RenderResult res;
    const double f = time_ms([&] { res = render(g, viewmat, intr, settings); });
    const at::Tensor loss = (res.rgb * weights).sum();
    const double b = time_ms([&] { loss.backward(); });
    if (k == 0) {
      const at::Tensor side = (2 * res.radii.to(at::kDouble) + 1).clamp_max(std::max(o.width, o.height));
      r.splats_per_pixel = (side * side).sum().item<double>() / (double(o.width) * o.height);
      r.visible = res.visible.sum().item<int64_t>();
    }
    if (k >= o.warmup) {
      fwd.push_back(f);
      bwd.push_back(b);
    }
  }
  // A full training iteration: render, L1 + SSIM loss, backward, Adam step (3DGS learning rates, extent 1).
  const optim::LearningRates lr;
  optim::Adam adam = optim::gaussian_adam(g, optim::gaussian_rates(lr, 1.0));
  std::vector<double> parts[4];
  for (int k = 0; k < o.warmup + o.iters; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    for (at::Tensor* t : g.tensors()) t->mutable_grad() = at::Tensor();
    const RenderResult res = render(g, viewmat, intr, settings);
    const auto t1 = std::chrono::steady_clock::now();
    const at::Tensor loss = loss::photometric(res.rgb, target);
    const auto t2 = std::chrono::steady_clock::now();
    loss.backward();
    const auto t3 = std::chrono::steady_clock::now();
    adam.step(g.tensors());
    const auto t4 = std::chrono::steady_clock::now();
    if (k >= o.warmup) {
      const auto ms = [](auto a, auto b) { return std::chrono::duration<double, std::milli>(b - a).count(); };
      iter.push_back(ms(t0, t4));
      parts[0].push_back(ms(t0, t1));
      parts[1].push_back(ms(t1, t2));
      parts[2].push_back(ms(t2, t3));
      parts[3].push_back(ms(t3, t4));
    }
  }
  r.iteration_render_ms = median(parts[0]);
  r.iteration_loss_ms = median(parts[1]);
  r.iteration_backward_ms = median(parts[2]);
  r.iteration_step_ms = median(parts[3]);
  r.forward_ms = median(fwd);
  r.backward_ms = median(bwd);
  r.iteration_ms = median(iter);
  return r;
}

std::vector<QualityPoint> quality_curve(const std::vector<HistoryEntry>& history) {
  std::vector<QualityPoint> curve;
  double evaluating = 0;  // seconds spent in the evaluations before this one
  for (const HistoryEntry& h : history) {
    curve.push_back({h.step, h.time_s - evaluating, h.test_psnr, h.num_gaussians});
    evaluating += h.eval_s;
  }
  return curve;
}

double time_to_psnr(const std::vector<QualityPoint>& curve, double psnr) {
  for (const QualityPoint& p : curve)
    if (p.test_psnr >= psnr) return p.optimization_s;
  return -1;
}

}  // namespace ttgs::fit
