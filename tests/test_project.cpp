// The float projection (16 Gaussians per vector, project_lanes.inc) against the scalar loops in double, on every
// instruction set the machine has: every output of the forward and every gradient of the backward.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <cmath>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "core/parallel.hpp"
#include "render/project.hpp"
#include "render/rasterize_tiles.hpp"

namespace ttgs {
namespace {

// n Gaussians in front of a 64x48 camera, with the awkward ones mixed in: behind the camera, beyond the image, far
// smaller or larger than a pixel, nearly transparent, unnormalized quaternions.
struct Scene {
  int64_t n;
  std::vector<double> means, log_scales, quats, opacity, sh_dc, sh_rest, viewmat;
  Scene(int64_t count, unsigned seed) : n(count) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1, 1);
    std::normal_distribution<double> gauss(0, 1);
    for (int64_t i = 0; i < n; ++i) {
      const double z = i % 17 == 0 ? -1 - u(rng) : 2 + 1.5 * u(rng);
      const double spread = i % 13 == 0 ? 2.5 : 0.5;  // some beyond the image
      means.insert(means.end(), {spread * u(rng) * z, spread * 0.75 * u(rng) * z, z});
      const double size = i % 11 == 0 ? -6 : i % 7 == 0 ? 0 : -3 + 0.8 * u(rng);
      for (int k = 0; k < 3; ++k) log_scales.push_back(size + 0.5 * u(rng));
      for (int k = 0; k < 4; ++k) quats.push_back(gauss(rng) * 1.7);
      opacity.push_back(i % 9 == 0 ? -6.5 : 2 * gauss(rng));
      for (int k = 0; k < 3; ++k) sh_dc.push_back(0.8 * gauss(rng));
      for (int k = 0; k < 15 * 3; ++k) sh_rest.push_back(0.2 * gauss(rng));
    }
    const double a = 0.1 * u(rng), c = std::cos(a), s = std::sin(a);  // turned about y, moved
    viewmat = {c, 0, s, 0.1 * u(rng), 0, 1, 0, 0.1 * u(rng), -s, 0, c, 0.2 * u(rng), 0, 0, 0, 1};
  }
  template <typename T>
  std::vector<T> as(const std::vector<double>& v) const {
    return std::vector<T>(v.begin(), v.end());
  }
};

template <typename T>
struct Projection {
  std::vector<T> means, log_scales, quats, opacity, sh_dc, sh_rest, viewmat;
  render::Projected<T> proj;
  render::GaussianGrads<T> grads;
};

// Forward, then backward from the upstream gradients `up` (float lanes for T = float, scalar for T = double).
template <typename T>
Projection<T> project(const Scene& s, const render::RasterConfig& cfg, const render::ProjectedGrads<double>& up) {
  Projection<T> r{s.as<T>(s.means), s.as<T>(s.log_scales), s.as<T>(s.quats), s.as<T>(s.opacity),
                  s.as<T>(s.sh_dc), s.as<T>(s.sh_rest), s.as<T>(s.viewmat), {}, {}};
  const render::GaussianParams<T> g{s.n,           16,
                                    r.means.data(), r.log_scales.data(),
                                    r.quats.data(), r.opacity.data(),
                                    r.sh_dc.data(), r.sh_rest.data()};
  const render::Intrinsics intr{60, 58, 31.7, 24.2, 64, 48};
  if constexpr (std::is_same_v<T, float>) {
    render::project_forward(g, r.viewmat.data(), intr, cfg, r.proj);
  } else {
    render::project_forward_scalar(g, r.viewmat.data(), intr, cfg, r.proj);
  }
  render::ProjectedGrads<T> in;
  in.mean2d = s.as<T>(up.mean2d);
  in.conic = s.as<T>(up.conic);
  in.depth = s.as<T>(up.depth);
  in.opacity = s.as<T>(up.opacity);
  in.color = s.as<T>(up.color);
  if constexpr (std::is_same_v<T, float>) {
    render::project_backward(g, r.viewmat.data(), intr, cfg, r.proj, in, r.grads);
  } else {
    render::project_backward_scalar(g, r.viewmat.data(), intr, cfg, r.proj, in, r.grads);
  }
  return r;
}

// Largest difference relative to the largest magnitude of the reference (with a floor), over entries where
// `use(i / per)` holds. Any indexable containers (vectors, output buffers, arrays).
template <typename A, typename R, typename F>
double relative_error(const A& ours, const R& ref, int per, F&& use) {
  double diff = 0, scale = 1e-6;
  for (size_t k = 0; k < std::size(ref); ++k) {
    if (!use(int64_t(k) / per)) continue;
    diff = std::max(diff, std::abs(double(ours[k]) - double(ref[k])));
    scale = std::max(scale, std::abs(double(ref[k])));
  }
  return diff / scale;
}

struct IsaGuard {
  render::RasterIsa saved = render::raster_isa();
  ~IsaGuard() { render::set_raster_isa(saved); }
};

class ProjectLanes : public ::testing::TestWithParam<bool> {};  // parameter: antialiased

TEST_P(ProjectLanes, MatchTheScalarProjectionInDoubleOnEveryInstructionSet) {
  set_num_threads(2);
  const IsaGuard restore;
  for (const int degree : {3, 1}) {
    const Scene scene(301, 5 + unsigned(degree));  // 18 full groups of 16 and a partial one
    render::RasterConfig cfg;
    cfg.antialiased = GetParam();
    cfg.sh_degree = degree;
    std::mt19937 rng(3);
    std::normal_distribution<double> gauss(0, 1);
    render::ProjectedGrads<double> up;
    up.resize(scene.n);
    for (auto* v : {&up.mean2d, &up.conic, &up.depth, &up.opacity, &up.color})
      for (double& x : *v) x = gauss(rng);
    const Projection<double> ref = project<double>(scene, cfg, up);
    int64_t kept = 0;
    for (int64_t i = 0; i < scene.n; ++i) kept += ref.proj.radius[size_t(i)] > 0;
    ASSERT_GT(kept, scene.n / 2);
    ASSERT_LT(kept, scene.n - 30);  // some of each kind
    for (const auto isa : {render::RasterIsa::Baseline, render::RasterIsa::Avx2, render::RasterIsa::Avx512}) {
      if (render::set_raster_isa(isa) != isa) continue;
      SCOPED_TRACE(std::string(render::raster_isa_name(isa)) + " degree " + std::to_string(degree));
      const Projection<float> ours = project<float>(scene, cfg, up);
      // A radius is a ceiling: one rounded across an integer is allowed, and that Gaussian is left out below.
      const auto same = [&](int64_t i) { return ours.proj.radius[size_t(i)] == ref.proj.radius[size_t(i)]; };
      int64_t radius_off = 0;
      for (int64_t i = 0; i < scene.n; ++i) {
        radius_off += same(i) ? 0 : 1;
        EXPECT_EQ(ours.proj.radius[size_t(i)] > 0, ref.proj.radius[size_t(i)] > 0) << "Gaussian " << i;
      }
      EXPECT_LE(radius_off, 1);
      const auto kept_same = [&](int64_t i) { return same(i) && ref.proj.radius[size_t(i)] > 0; };
      EXPECT_LT(relative_error(ours.proj.mean2d, ref.proj.mean2d, 2, kept_same), 1e-6);
      EXPECT_LT(relative_error(ours.proj.conic, ref.proj.conic, 3, kept_same), 1e-5);
      EXPECT_LT(relative_error(ours.proj.depth, ref.proj.depth, 1, kept_same), 1e-6);
      EXPECT_LT(relative_error(ours.proj.opacity, ref.proj.opacity, 1, kept_same), 1e-5);
      EXPECT_LT(relative_error(ours.proj.alpha_tau, ref.proj.alpha_tau, 1, kept_same), 1e-5);
      EXPECT_LT(relative_error(ours.proj.color, ref.proj.color, 3, kept_same), 1e-5);
      const auto any = [](int64_t) { return true; };
      const render::GaussianGrads<double>& rg = ref.grads;
      const render::GaussianGrads<float>& og = ours.grads;
      EXPECT_LT(relative_error(og.means, rg.means, 3, any), 1e-4);
      EXPECT_LT(relative_error(og.log_scales, rg.log_scales, 3, any), 1e-4);
      EXPECT_LT(relative_error(og.quats, rg.quats, 4, any), 1e-4);
      EXPECT_LT(relative_error(og.opacity_logits, rg.opacity_logits, 1, any), 1e-4);
      EXPECT_LT(relative_error(og.sh_dc, rg.sh_dc, 3, any), 1e-5);
      EXPECT_LT(relative_error(og.sh_rest, rg.sh_rest, 45, any), 1e-5);
      EXPECT_LT(relative_error(og.viewmat, rg.viewmat, 1, any), 1e-4);
      // Culled Gaussians get exact zeros; SH coefficients above the active degree too.
      for (int64_t i = 0; i < scene.n; ++i) {
        if (ref.proj.radius[size_t(i)] > 0) continue;
        for (int c = 0; c < 3; ++c) EXPECT_EQ(og.means[size_t(3 * i + c)], 0.0f);
        EXPECT_EQ(og.opacity_logits[size_t(i)], 0.0f);
      }
      const int active = (degree + 1) * (degree + 1);
      for (int64_t i = 0; i < scene.n; ++i)
        for (int k = active; k < 16; ++k) EXPECT_EQ(og.sh_rest[size_t((i * 15 + k - 1) * 3)], 0.0f);
      // The same thread count gives the same bits.
      const Projection<float> again = project<float>(scene, cfg, up);
      EXPECT_EQ(std::vector<float>(again.grads.means.begin(), again.grads.means.end()),
                std::vector<float>(og.means.begin(), og.means.end()));
      EXPECT_EQ(std::vector<float>(again.grads.viewmat, again.grads.viewmat + 16),
                std::vector<float>(og.viewmat, og.viewmat + 16));
    }
  }
  set_num_threads(0);
}

INSTANTIATE_TEST_SUITE_P(Modes, ProjectLanes, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "antialiased" : "classic"; });

}  // namespace
}  // namespace ttgs
