// The rasterizer against the dense reference renderer and against finite differences.
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>

#include <torch/csrc/autograd/autograd.h>

#include "core/parallel.hpp"
#include "core/radix_sort.hpp"
#include "io/ply.hpp"
#include "render/footprint.hpp"
#include "render/rasterize.hpp"
#include "render/rasterizer.hpp"
#include "model/threads.hpp"
#include "render/rasterize_tiles.hpp"
#include "render/reference.hpp"
#include "render/scene_view.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

// A camera at the origin looking down +z (OpenCV), slightly rotated, 44x36 pixels (partial tiles on both axes).
struct TestView {
  render::Intrinsics intr{40, 38, 21.3, 17.6, 44, 36};
  at::Tensor viewmat;
};

TestView make_view(at::ScalarType dtype, unsigned seed) {
  TestView v;
  Camera c;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-0.1, 0.1);
  c.R = quat_to_rotation({1, u(rng), u(rng), u(rng)});
  c.t = {u(rng), u(rng), u(rng)};
  v.viewmat = render::viewmat_of(c, dtype);
  return v;
}

// Random Gaussians mostly in front of the camera: some behind it, some straddling tile borders, some very large or
// very small, some nearly transparent; SH degree 3.
model::Gaussians random_scene(int n, at::ScalarType dtype, unsigned seed) {
  at::manual_seed(seed);
  const auto o = at::TensorOptions().dtype(dtype);
  model::Gaussians g;
  at::Tensor xy = (at::rand({n, 2}, o) - 0.5) * 2.4;
  at::Tensor z = at::rand({n, 1}, o) * 3 + 1.5;
  z.slice(0, 0, 3).mul_(-1);  // behind the camera
  g.means = at::cat({xy * z.abs() * 0.5, z}, 1);
  // Centres exactly on tile borders (x = 16 px, y = 16 px) for a few.
  for (int k = 3; k < 6; ++k) {
    const double zz = 2.0 + k * 0.1;
    g.means[k][0] = (16.0 - 21.3) / 40 * zz;
    g.means[k][1] = (16.0 - 17.6) / 38 * zz;
    g.means[k][2] = zz;
  }
  g.log_scales = at::rand({n, 3}, o) * 2 - 3.5;
  g.log_scales.slice(0, 6, 8).fill_(0.3);    // very large
  g.log_scales.slice(0, 8, 10).fill_(-7.0);  // very small
  g.quats = at::randn({n, 4}, o);
  g.opacity_logits = at::randn({n, 1}, o) * 2;
  g.opacity_logits.slice(0, 10, 13).fill_(-5.5);  // nearly transparent
  g.sh_dc = at::randn({n, 3}, o) * 0.8;
  g.sh_rest = at::randn({n, 15, 3}, o) * 0.2;
  return g;
}

double max_abs(const at::Tensor& a, const at::Tensor& b) { return (a - b).abs().max().item<double>(); }

// Restores the instruction set that was in effect.
struct RasterIsaGuard {
  render::RasterIsa saved = render::raster_isa();
  ~RasterIsaGuard() { render::set_raster_isa(saved); }
};

class RenderVsReference : public ::testing::TestWithParam<bool> {};  // parameter: antialiased

TEST_P(RenderVsReference, ForwardMatchesInFloatAndDouble) {
  for (const auto dtype : {at::kFloat, at::kDouble}) {
    for (unsigned seed : {1u, 2u, 3u}) {
      const model::Gaussians g = random_scene(60, dtype, seed);
      const TestView v = make_view(dtype, seed);
      render::RenderSettings s;
      s.config.antialiased = GetParam();
      s.background = at::tensor({0.2, 0.4, 0.6}, at::TensorOptions().dtype(dtype));
      const render::RenderResult ours = render::render(g, v.viewmat, v.intr, s);
      const render::RenderResult ref = render::render_reference(g, v.viewmat, v.intr, s);
      EXPECT_LT(max_abs(ours.rgb, ref.rgb), 1e-4) << "seed " << seed;
      EXPECT_LT(max_abs(ours.alpha, ref.alpha), 1e-4);
      EXPECT_LT(max_abs(ours.depth, ref.depth), 1e-4 * 5);  // depth is in scene units (up to ~4.5): same relative 1e-4
      EXPECT_TRUE(at::equal(ours.radii, ref.radii));
      EXPECT_FALSE(ours.visible.slice(0, 0, 3).any().item<bool>());  // behind the camera
      EXPECT_GT(ours.alpha.mean().item<double>(), 0.2);               // the scene covers the image
    }
  }
}

// loss = Σ w_rgb · rgb + Σ w_a · alpha + Σ w_d · depth with fixed random weights.
struct Weights {
  at::Tensor rgb, alpha, depth;
};
// Undefined alpha and depth weights leave those images out of the loss (the rasterizer then skips their terms).
at::Tensor weighted_loss(const render::RenderResult& r, const Weights& w) {
  at::Tensor loss = (r.rgb * w.rgb).sum();
  if (w.alpha.defined()) loss = loss + (r.alpha * w.alpha).sum();
  if (w.depth.defined()) loss = loss + (r.depth * w.depth).sum();
  return loss;
}

struct Leaves {
  model::Gaussians g;
  at::Tensor viewmat, background;
  std::vector<at::Tensor*> all() { return {&g.means, &g.log_scales, &g.quats, &g.opacity_logits, &g.sh_dc, &g.sh_rest, &viewmat, &background}; }
};
const char* kLeafNames[] = {"means", "log_scales", "quats", "opacity_logits", "sh_dc", "sh_rest", "viewmat", "background"};

Leaves make_leaves(unsigned seed, int n, bool per_pixel_bg, const render::Intrinsics& intr) {
  Leaves l;
  l.g = random_scene(n, at::kDouble, seed);
  l.viewmat = make_view(at::kDouble, seed).viewmat;
  l.background = per_pixel_bg ? at::rand({intr.height, intr.width, 3}, at::kDouble) : at::tensor({0.3, 0.5, 0.1}, at::kDouble);
  for (at::Tensor* t : l.all()) t->requires_grad_(true);
  return l;
}

std::vector<at::Tensor> gradients(Leaves& l, const render::Intrinsics& intr, const render::RasterConfig& cfg,
                                  const Weights& w, bool reference) {
  render::RenderSettings s;
  s.config = cfg;
  s.background = l.background;
  const render::RenderResult r = reference ? render::render_reference(l.g, l.viewmat, intr, s) : render::render(l.g, l.viewmat, intr, s);
  std::vector<at::Tensor> leaves;
  for (at::Tensor* t : l.all()) leaves.push_back(*t);
  return torch::autograd::grad({weighted_loss(r, w)}, leaves, {}, c10::nullopt, false, true);
}

TEST_P(RenderVsReference, GradientsMatchReferenceAutograd) {
  const render::Intrinsics intr = make_view(at::kDouble, 0).intr;
  for (bool per_pixel_bg : {false, true})
  for (bool rgb_only : {false, true}) {
    Leaves l = make_leaves(7, 50, per_pixel_bg, intr);
    at::manual_seed(99);
    Weights w{at::randn({intr.height, intr.width, 3}, at::kDouble), at::randn({intr.height, intr.width, 1}, at::kDouble),
              at::randn({intr.height, intr.width, 1}, at::kDouble)};
    if (rgb_only) w.alpha = w.depth = at::Tensor();
    render::RasterConfig cfg;
    cfg.antialiased = GetParam();
    const auto ours = gradients(l, intr, cfg, w, false);
    const auto ref = gradients(l, intr, cfg, w, true);
    for (size_t k = 0; k < ours.size(); ++k) {
      const at::Tensor a = ours[k].defined() ? ours[k] : at::zeros_like(ref[k]);
      const double scale = ref[k].abs().max().item<double>();
      EXPECT_GT(scale, 0) << kLeafNames[k] << ": the reference gradient is zero, the test would prove nothing";
      EXPECT_LT(max_abs(a, ref[k]), 1e-7 * std::max(1.0, scale))
          << kLeafNames[k] << " per-pixel bg " << per_pixel_bg << " rgb only " << rgb_only;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, RenderVsReference, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "antialiased" : "classic"; });

TEST(Render, GradientsMatchCentralFiniteDifferences) {
  const render::Intrinsics intr{30, 29, 12.2, 10.7, 24, 20};
  Leaves l = make_leaves(11, 16, false, intr);
  // A smaller, more central scene so every Gaussian matters.
  {
    c10::NoGradGuard ng;
    l.g.means.mul_(at::tensor({0.4, 0.4, 1.0}, at::kDouble));
    l.g.means.slice(0, 0, 3).mul_(at::tensor({1.0, 1.0, -1.0}, at::kDouble));
    l.g.log_scales.clamp_(-3.0, -1.0);
  }
  at::manual_seed(5);
  const Weights w{at::randn({intr.height, intr.width, 3}, at::kDouble), at::randn({intr.height, intr.width, 1}, at::kDouble),
                  at::randn({intr.height, intr.width, 1}, at::kDouble)};
  for (bool aa : {false, true}) {
    render::RasterConfig cfg;
    cfg.antialiased = aa;
    const auto analytic = gradients(l, intr, cfg, w, false);
    const auto loss_at = [&] {
      c10::NoGradGuard ng;
      render::RenderSettings s;
      s.config = cfg;
      s.background = l.background;
      return weighted_loss(render::render(l.g, l.viewmat, intr, s), w).item<double>();
    };
    std::mt19937 rng(3);
    const double h = 1e-6;
    auto leaves = l.all();
    for (size_t k = 0; k < leaves.size(); ++k) {
      at::Tensor flat = leaves[k]->detach().view({-1});  // shares storage with the leaf
      const at::Tensor grad = analytic[k].reshape({-1});
      int checked = 0;
      for (int trial = 0; trial < 200 && checked < 12; ++trial) {
        const int64_t idx = int64_t(rng() % uint64_t(flat.numel()));
        if (k == 6 && idx >= 12) continue;  // the viewmat's last row is constant
        const double g = grad[idx].item<double>();
        if (std::abs(g) < 1e-6 && trial % 4 != 0) continue;  // mostly check entries that matter
        const double x0 = flat[idx].item<double>();
        flat[idx] = x0 + h;
        const double lp = loss_at();
        flat[idx] = x0 - h;
        const double lm = loss_at();
        flat[idx] = x0;
        const double fd = (lp - lm) / (2 * h);
        EXPECT_NEAR(g, fd, 1e-5 + 1e-4 * std::abs(fd)) << kLeafNames[k] << "[" << idx << "] antialiased " << aa;
        ++checked;
      }
      EXPECT_GE(checked, 4) << kLeafNames[k];
    }
  }
}

// The footprint is conservative — every pixel the compositing test accepts (centre inside the square extent,
// power <= 0, alpha >= 1/255) lies in its rows and in its column span for that row — and it is useful: for these
// random anisotropic Gaussians it leaves out a good share of the square.
// The footprint in scalar type S (double, and float as binning uses it), from inputs rounded to S; the per-pixel test
// that judges is evaluated on those same inputs.
template <typename S>
void check_footprint() {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> uni(0, 1);
  const double alpha_min = 1.0 / 255;
  int64_t square = 0, kept = 0, kept_by_column = 0;
  for (int k = 0; k < 300; ++k) {
    const double u = 40 + 20 * uni(rng), v = 40 + 20 * uni(rng), o = std::pow(10.0, -2.5 + 2.5 * uni(rng));
    const double s1 = 0.5 + 12 * uni(rng), s2 = 0.5 + 12 * uni(rng), th = 3.1416 * uni(rng);
    // covariance R diag(s1², s2²) Rᵀ, then its inverse (the conic)
    const double c = std::cos(th), sn = std::sin(th);
    const double A = c * c * s1 * s1 + sn * sn * s2 * s2, B = c * sn * (s1 * s1 - s2 * s2),
                 C = sn * sn * s1 * s1 + c * c * s2 * s2, det = A * C - B * B;
    const double a = C / det, b = -B / det, cc = A / det;
    const double lambda = 0.5 * (A + C) + std::sqrt(std::max(0.1, 0.25 * (A - C) * (A - C) + B * B));
    const int radius = int(std::ceil(std::min(3.0, std::sqrt(2 * std::log(std::max(o / alpha_min, 1.0)))) *
                                     std::sqrt(lambda)));
    const double tau = o >= alpha_min ? 2 * std::log(o / alpha_min) : -1;
    const render::FootprintOf<S> f(S(u), S(v), S(a), S(b), S(cc), S(tau), radius);
    int r0, r1;
    f.rows(0, 99, r0, r1);
    for (int y = 0; y < 100; ++y)
      for (int x = 0; x < 100; ++x) {
        const double dx = x + 0.5 - double(S(u)), dy = y + 0.5 - double(S(v));
        if (std::abs(dx) > radius || std::abs(dy) > radius) continue;
        ++square;
        const double power = -0.5 * (double(S(a)) * dx * dx + double(S(cc)) * dy * dy) - double(S(b)) * dx * dy;
        int c0, c1, q0, q1;
        f.columns_over_rows(y, y, 0, 99, c0, c1);
        f.rows_over_columns(x, x, 0, 99, q0, q1);
        const bool inside = y >= r0 && y <= r1 && x >= c0 && x <= c1;
        kept += inside;
        if (power <= 0 && std::min(0.99, o * std::exp(power)) >= alpha_min) {
          ASSERT_TRUE(inside) << "Gaussian " << k << " pixel " << x << "," << y;
          ASSERT_TRUE(y >= q0 && y <= q1) << "Gaussian " << k << " pixel " << x << "," << y << " (rows over columns)";
        }
        kept_by_column += y >= q0 && y <= q1;
      }
  }
  std::printf("footprint keeps %.1f%% of the square extents' pixels\n", 100.0 * double(kept) / double(square));
  EXPECT_LT(double(kept), 0.85 * double(square));
  EXPECT_LT(double(kept_by_column), 0.85 * double(square));
  EXPECT_NEAR(double(kept_by_column), double(kept), 0.02 * double(kept));  // the same ellipse, seen by columns
}

TEST(Render, FootprintKeepsEveryContributingPixelAndCutsTheSquare) {
  check_footprint<double>();
  check_footprint<float>();
}

TEST(Render, RadixSortIsAStableSortByKey) {
  std::mt19937 rng(5);
  std::vector<uint32_t> keys(5000);
  for (auto& k : keys) k = rng() % 300 + (rng() % 2 ? 0x3f000000u : 0x3f800000u);  // many ties, two exponents
  std::vector<int32_t> values(keys.size());
  for (size_t i = 0; i < values.size(); ++i) values[i] = int32_t(i);
  std::vector<int32_t> expected = values;
  std::stable_sort(expected.begin(), expected.end(), [&](int32_t a, int32_t b) { return keys[size_t(a)] < keys[size_t(b)]; });
  std::vector<uint32_t> sorted_keys = keys;
  radix_sort_pairs(sorted_keys, values);
  EXPECT_EQ(values, expected);
  EXPECT_TRUE(std::is_sorted(sorted_keys.begin(), sorted_keys.end()));
}

// Every tile lists exactly the Gaussians whose footprint touches it, by increasing depth (ties by index), whatever
// the thread count.
TEST(Render, BinsListTouchingGaussiansFrontToBackForAnyThreadCount) {
  const render::Intrinsics intr{100, 100, 80, 60, 160, 120};
  render::Projected<float> p;
  p.n = 6000;
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> uni(0, 1);
  for (int64_t i = 0; i < p.n; ++i) {
    const float s = 0.5f + 20 * uni(rng) * uni(rng);
    p.mean2d.insert(p.mean2d.end(), {-20 + 200 * uni(rng), -20 + 160 * uni(rng)});
    p.conic.insert(p.conic.end(), {1 / (s * s), 0.3f * uni(rng) / (s * s), 1 / (s * s)});
    p.depth.push_back(float(1 + int(rng() % 50)) * 0.1f);  // many equal depths
    p.opacity.push_back(uni(rng));
    p.alpha_tau.push_back(p.opacity.back() >= 1.0f / 255 ? 2 * std::log(p.opacity.back() * 255) : -1);
    p.color.insert(p.color.end(), 3, 0.5f);
    p.radius.push_back(i % 7 == 0 ? 0 : int32_t(std::ceil(3 * s * 1.2f)));
  }
  std::vector<std::vector<int32_t>> expected;
  std::map<std::pair<int, int32_t>, uint16_t> spans;  // (tile, Gaussian) -> columns and rows it can touch
  const int tiles_x = (intr.width + 15) / 16, tiles_y = (intr.height + 15) / 16;
  for (int t = 0; t < tiles_x * tiles_y; ++t) {
    const int x0 = (t % tiles_x) * 16, y0 = (t / tiles_x) * 16;
    std::vector<int32_t> list;
    for (int32_t i = 0; i < int32_t(p.n); ++i) {
      if (p.radius[size_t(i)] <= 0) continue;
      const render::Footprint f(p.mean2d[2 * size_t(i)], p.mean2d[2 * size_t(i) + 1], p.conic[3 * size_t(i)],
                                p.conic[3 * size_t(i) + 1], p.conic[3 * size_t(i) + 2], p.alpha_tau[size_t(i)],
                                p.radius[size_t(i)]);
      int r0, r1, c0, c1, q0, q1;
      f.rows(y0, std::min(intr.height, y0 + 16) - 1, r0, r1);
      if (r0 > r1) continue;
      int b0, b1;  // the columns the band of rows reaches, then the part of them in this tile
      f.columns_over_rows(r0, r1, 0, intr.width - 1, b0, b1);
      c0 = std::max(b0, x0);
      c1 = std::min(b1, x0 + 15);
      if (c0 > c1) continue;
      q0 = r0;
      q1 = r1;
      // Rows trimmed when the band reaches past the tile's columns (a Gaussian at the tile's corner misses rows).
      if ((c0 > b0 || c1 < b1) && r1 - r0 >= render::kMinRowsToTrim) f.rows_over_columns(c0, c1, r0, r1, q0, q1);
      if (q0 > q1) continue;
      list.push_back(i);
      spans[{t, i}] = render::pack_span(c0 - x0, c1 - x0, q0 - y0, q1 - y0);
    }
    std::stable_sort(list.begin(), list.end(), [&](int32_t a, int32_t b) { return p.depth[size_t(a)] < p.depth[size_t(b)]; });
    expected.push_back(list);
  }
  for (const int threads : {1, 2}) {
    model::configure_threads(threads);
    ASSERT_EQ(num_threads(), threads);
    render::TileBins bins;
    render::bin_gaussians(p, intr, bins);
    ASSERT_EQ(bins.tiles_x * bins.tiles_y, int(expected.size()));
    for (size_t t = 0; t < expected.size(); ++t) {
      const std::vector<int32_t> got(bins.ids.begin() + bins.offsets[t], bins.ids.begin() + bins.offsets[t + 1]);
      ASSERT_EQ(got, expected[t]) << "tile " << t << ", " << threads << " threads";
      for (size_t k = 0; k < got.size(); ++k)
        ASSERT_EQ(bins.spans[size_t(bins.offsets[t]) + k], (spans[{int(t), got[k]}])) << "tile " << t;
    }
  }
  model::configure_threads(0);
}

TEST(Render, EveryInstructionSetMatchesTheReferenceAndIsDeterministic) {
  const render::Intrinsics intr = make_view(at::kFloat, 0).intr;
  at::manual_seed(21);
  const at::Tensor w = at::randn({intr.height, intr.width, 3});
  const RasterIsaGuard restore;
  for (const auto isa : {render::RasterIsa::Baseline, render::RasterIsa::Avx2, render::RasterIsa::Avx512}) {
    if (render::set_raster_isa(isa) != isa) continue;  // not supported here
    SCOPED_TRACE(render::raster_isa_name(isa));
    std::vector<at::Tensor> grads;
    for (const int threads : {2, 1, 3, 2}) {
      model::configure_threads(threads);
      model::Gaussians g = random_scene(60, at::kFloat, 8);
      g.means.requires_grad_(true);
      g.sh_dc.requires_grad_(true);
      const render::RenderResult r = render::render(g, make_view(at::kFloat, 8).viewmat, intr, {});
      const render::RenderResult ref = render::render_reference(g, make_view(at::kFloat, 8).viewmat, intr, {});
      EXPECT_LT(max_abs(r.rgb, ref.rgb), 1e-4);
      (r.rgb * w).sum().backward();
      grads.push_back(g.means.grad().clone());
      grads.push_back(g.sh_dc.grad().clone());
    }
    for (size_t run = 1; run < grads.size() / 2; ++run) {  // bit-identical whatever the thread count
      EXPECT_TRUE(at::equal(grads[0], grads[2 * run])) << "run " << run;
      EXPECT_TRUE(at::equal(grads[1], grads[2 * run + 1])) << "run " << run;
    }
  }
  model::configure_threads(0);
}

// Large Gaussians (4 to 25 px) over several tiles: the compositing loops step exp(P) down the rows by products
// (RowGauss) instead of evaluating it per pixel. In float, images and gradients stay within float rounding of the
// reference rendered in double.
TEST(Render, LargeGaussiansMatchTheDoubleReferenceInFloat) {
  const render::Intrinsics intr{90, 90, 47.5, 40.2, 96, 80};
  at::manual_seed(5);
  const int n = 24;
  model::Gaussians g;
  const at::Tensor z = at::rand({n, 1}, at::kDouble) * 2 + 2;
  g.means = at::cat({(at::rand({n, 2}, at::kDouble) - 0.5) * z * 0.9, z}, 1);
  g.log_scales = (at::rand({n, 3}, at::kDouble) * 1.8 - 2.6);  // 0.07 to 0.45 at 2 to 4 m: 1.6 to 20 px
  g.quats = at::randn({n, 4}, at::kDouble);
  g.opacity_logits = at::randn({n, 1}, at::kDouble) - 1;
  g.sh_dc = at::randn({n, 3}, at::kDouble) * 0.8;
  g.sh_rest = at::zeros({n, 0, 3}, at::kDouble);
  const at::Tensor viewmat = at::eye(4, at::kDouble);
  const at::Tensor w = at::randn({intr.height, intr.width, 3}, at::kDouble);
  auto grads = [&](model::Gaussians m, bool reference, at::Tensor& rgb) {
    for (at::Tensor* t : m.tensors()) t->requires_grad_(true);
    const at::Tensor vm = viewmat.to(m.means.scalar_type());
    const render::RenderResult r = reference ? render::render_reference(m, vm, intr, {}) : render::render(m, vm, intr, {});
    rgb = r.rgb.to(at::kDouble).detach();
    (r.rgb * w.to(r.rgb.scalar_type())).sum().backward();
    return std::vector<at::Tensor>{m.means.grad().to(at::kDouble), m.log_scales.grad().to(at::kDouble),
                                   m.opacity_logits.grad().to(at::kDouble), m.sh_dc.grad().to(at::kDouble)};
  };
  model::Gaussians gf = g;
  for (at::Tensor* t : gf.tensors()) *t = t->to(at::kFloat);
  at::Tensor rgb_ours, rgb_ref;
  const auto ours = grads(gf, false, rgb_ours);
  const auto ref = grads(g, true, rgb_ref);
  EXPECT_GT(rgb_ref.std().item<double>(), 0.05);  // a busy image, not background
  EXPECT_LT(max_abs(rgb_ours, rgb_ref), 5e-6);
  for (size_t k = 0; k < ours.size(); ++k) {
    const double scale = ref[k].abs().max().item<double>();
    EXPECT_LT(max_abs(ours[k], ref[k]), 2e-5 * scale) << k;
  }
}

TEST(Render, ScreenSpaceMeanGradientIsReported) {
  const render::Intrinsics intr = make_view(at::kFloat, 0).intr;
  model::Gaussians g = random_scene(30, at::kFloat, 4);
  g.means.requires_grad_(true);
  const render::RenderResult r = render::render(g, make_view(at::kFloat, 4).viewmat, intr, {});
  r.rgb.sum().backward();
  ASSERT_TRUE(r.means2d_grad->defined());
  EXPECT_EQ(r.means2d_grad->sizes(), (std::vector<int64_t>{30, 2}));
  EXPECT_GT(r.means2d_grad->abs().sum().item<double>(), 0);
  // Culled Gaussians get nothing.
  EXPECT_EQ(r.means2d_grad->slice(0, 0, 3).abs().sum().item<double>(), 0);
}

TEST(Render, RealTrainedSceneMatchesReference) {
  TTGS_REQUIRE_SHARED("splats/plush_dog.ply");
  const model::Gaussians g = model::from_splat_data(io::read_splat_ply(test::shared_data("splats/plush_dog.ply")));
  const at::Tensor lo = std::get<0>(g.means.min(0)), hi = std::get<0>(g.means.max(0));
  const at::Tensor centre = (lo + hi) / 2;
  const double extent = (hi - lo).norm().item<double>();
  // A camera at 1.2 extents from the centre, looking at it.
  const Vec3 target{centre[0].item<double>(), centre[1].item<double>(), centre[2].item<double>()};
  const Vec3 eye = target + Vec3{0.3 * extent, -0.4 * extent, -1.1 * extent};
  const Camera c = test::pinhole_looking_at(40, 32, 45, eye, target, {0, -1, 0});  // COLMAP world frames: y down
  render::RenderSettings s;
  const render::RenderResult ours = render::render(g, c, s);
  EXPECT_GT(ours.alpha.mean().item<double>(), 0.1);
  EXPECT_GT(ours.visible.sum().item<int64_t>(), 5000);
  const render::RenderResult ref = render::render_reference(g, render::viewmat_of(c), render::intrinsics_of(c), s);
  EXPECT_LT(max_abs(ours.rgb, ref.rgb), 1e-4);
  EXPECT_LT(max_abs(ours.alpha, ref.alpha), 1e-4);
}

// A scene model trained antialiased renders so wherever it is rendered: a Gaussian smaller than a pixel keeps its
// energy (opacity x footprint) instead of being spread over the 0.3 px² dilation at full opacity.
TEST(SceneView, AnAntialiasedSceneRendersWithTheOpacityCompensation) {
  model::SceneModel scene;
  model::Gaussians g;
  g.means = at::tensor({0.0, 0.0, 5.0}, at::kDouble).reshape({1, 3});
  g.log_scales = at::full({1, 3}, std::log(0.19), at::kDouble);  // 0.3 px at 5 m: compensation 0.09 / 0.39
  g.quats = at::tensor({1.0, 0.0, 0.0, 0.0}, at::kDouble).reshape({1, 4});
  g.opacity_logits = at::full({1, 1}, 4.0, at::kDouble);
  g.sh_dc = at::ones({1, 3}, at::kDouble);
  g.sh_rest = at::zeros({1, 0, 3}, at::kDouble);
  scene.gaussians = g;
  io::Dataset ds;
  io::Frame f;
  f.camera = test::pinhole_looking_at(9, 9, 8, {0, 0, 0}, {0, 0, 1}, {0, -1, 0});
  ds.frames.push_back(f);
  const double plain = render::render_view(scene, ds, 0, {}).alpha.sum().item<double>();
  scene.antialiased = true;
  const double compensated = render::render_view(scene, ds, 0, {}).alpha.sum().item<double>();
  render::RenderSettings s;
  s.config.antialiased = true;
  EXPECT_NEAR(compensated, render::render(g, f.camera, s).alpha.sum().item<double>(), 1e-12);
  EXPECT_GT(plain, 0.5);
  EXPECT_GT(compensated, 0.15 * plain);
  EXPECT_LT(compensated, 0.35 * plain);
}

}  // namespace
}  // namespace ttgs
