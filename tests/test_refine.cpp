// Test-time refinement: the RANSAC disparity alignment, the camera-correction maths, and refinement runs on small
// synthetic scenes with known ground truth (cameras perturbed, attributes perturbed, a case built to overfit).
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>
#include <torch/script.h>

#include <cmath>
#include <random>

#include "core/error.hpp"
#include "eval/evaluate.hpp"
#include "eval/regions.hpp"
#include "fit/trainer.hpp"
#include "model/init.hpp"
#include "refine/box_registration.hpp"
#include "refine/depth_alignment.hpp"
#include "refine/depth_prior.hpp"
#include "refine/image_levels.hpp"
#include "refine/pose_correction.hpp"
#include "refine/pose_search.hpp"
#include "refine/outputs.hpp"
#include "refine/refiner.hpp"
#include "model/scene_files.hpp"
#include "model/scene_init.hpp"
#include "refine/sky_fusion.hpp"
#include "refine/track_smoothing.hpp"
#include "render/scene_view.hpp"
#include "scene_fixture.hpp"
#include "refine_cases.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

TEST(DepthAlignment, RecoversScaleAndShiftWithThirtyPercentOutliers) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> disparity(0.1f, 2.0f), junk(0.0f, 5.0f);
  std::normal_distribution<float> noise(0.0f, 0.002f);
  const double scale = 2.5, shift = -0.3;
  const size_t n = 20000;
  std::vector<float> prior(n), rendered(n);
  std::vector<uint8_t> valid(n, 1), outlier(n, 0);
  for (size_t i = 0; i < n; ++i) {
    prior[i] = disparity(rng);
    rendered[i] = float(scale * prior[i] + shift) + noise(rng);
    if (i % 10 < 3) rendered[i] = junk(rng), outlier[i] = 1;  // 30% outliers
  }
  valid[5] = 0;
  const refine::AffineFit fit = refine::fit_affine_ransac(prior, rendered, valid, {});
  ASSERT_TRUE(fit.ok);
  EXPECT_NEAR(fit.scale, scale, 0.01 * scale);
  EXPECT_NEAR(fit.shift, shift, 0.01 * std::abs(shift));
  // Almost every clean pixel is an inlier and few outliers are (those landing on the line by chance).
  int64_t clean_in = 0, junk_in = 0;
  for (size_t i = 0; i < n; ++i) (outlier[i] ? junk_in : clean_in) += fit.inliers[i];
  EXPECT_GT(clean_in, int64_t(0.99 * 0.7 * n));
  EXPECT_LT(junk_in, int64_t(0.1 * 0.3 * n));
  EXPECT_EQ(fit.inliers[5], 0);
  // A plain least-squares fit is pulled far off by the same outliers (the test is not trivially easy).
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < n; ++i) sx += prior[i], sy += rendered[i], sxx += prior[i] * prior[i], sxy += prior[i] * rendered[i];
  const double ls_scale = (n * sxy - sx * sy) / (n * sxx - sx * sx);
  EXPECT_GT(std::abs(ls_scale - scale), 0.1 * scale);
  // Too few valid pairs: no fit; sizes must agree.
  EXPECT_FALSE(refine::fit_affine_ransac({1.f}, {2.f}, {1}, {}).ok);
  EXPECT_THROW(refine::fit_affine_ransac({1.f, 2.f}, {2.f}, {1, 1}, {}), std::invalid_argument);
}

// A 64x48 street: sky above row 20 (bright, prior far, model empty except for a floater), buildings below with a
// strong edge at the horizon. The model has a hole below the horizon too, and the prior a far-looking patch there.
TEST(SkyFusion, GrowsFromTheTopThroughDisagreementAndStopsAtEdges) {
  const int W = 64, H = 48, horizon = 20;
  std::vector<float> disparity(size_t(W * H)), alpha(size_t(W * H)), lum(size_t(W * H));
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      const size_t q = size_t(y * W + x);
      const bool sky = y < horizon;
      lum[q] = sky ? 0.8f + 0.001f * float(x) : 0.3f + 0.002f * float(y);  // gentle gradients, one strong edge
      disparity[q] = sky ? (x < 32 ? 0.0f : 0.001f) : 1.0f + 0.01f * float(y);  // no value, or very far
      alpha[q] = sky ? 0.0f : 1.0f;
    }
  const auto at = [&](int x, int y) { return size_t(y * W + x); };
  for (int y = 8; y < 12; ++y)
    for (int x = 40; x < 46; ++x) alpha[at(x, y)] = 0.9f;  // a floater in the sky: the model disagrees
  for (int y = horizon; y < 34; ++y)
    for (int x = 10; x < 16; ++x) alpha[at(x, y)] = 0.0f;  // a hole in the model, open to the sky
  for (int y = 36; y < 40; ++y)
    for (int x = 50; x < 56; ++x) disparity[at(x, y)] = 0.0f;  // the prior misses a patch of wall
  const refine::SkyMask m = refine::fuse_sky(disparity, alpha, lum, H, W, {});
  EXPECT_GT(m.seeds, 0);
  int64_t sky_missed = 0, ground_taken = 0;
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) (y < horizon ? sky_missed : ground_taken) += (y < horizon) != bool(m.sky[at(x, y)]);
  EXPECT_EQ(sky_missed, 0);     // the floater's pixels included (the prior calls them sky)
  EXPECT_EQ(ground_taken, 0);   // neither the model's hole nor the prior's gap: the horizon edge stops the growth
  EXPECT_EQ(m.pixels, int64_t(horizon) * W);
  // Without the edge (a horizon of equal brightness) the hole, open to the sky, is taken; the prior's gap, enclosed
  // by wall that both call solid, still is not.
  std::vector<float> flat(lum.size(), 0.5f);
  const refine::SkyMask no_edges = refine::fuse_sky(disparity, alpha, flat, H, W, {});
  EXPECT_EQ(no_edges.pixels, int64_t(horizon) * W + (34 - horizon) * 6);
  EXPECT_EQ(no_edges.sky[at(12, 33)], 1);
  EXPECT_EQ(no_edges.sky[at(52, 38)], 0);
  // Wrong sizes: a clear error.
  EXPECT_THROW(refine::fuse_sky(disparity, alpha, {0.5f}, H, W, {}), std::invalid_argument);
}

TEST(PoseCorrection, ExponentialPivotAndGradients) {
  const at::Tensor w = at::tensor({0.0, 0.0, M_PI / 2}, at::kDouble);
  const at::Tensor R = refine::so3_exp(w);
  EXPECT_TRUE(at::allclose(R, at::tensor({0.0, -1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0}, at::kDouble).reshape({3, 3}),
                           1e-12, 1e-12));
  // A rotation about a pivot at depth d leaves the pivot (0, 0, d) where it is.
  const at::Tensor delta = at::tensor({0.1, -0.2, 0.05, 0.0, 0.0, 0.0}, at::kDouble);
  const at::Tensor M = refine::se3_exp(delta, 3.0);
  const at::Tensor p = at::matmul(M, at::tensor({0.0, 0.0, 3.0, 1.0}, at::kDouble));
  EXPECT_TRUE(at::allclose(p, at::tensor({0.0, 0.0, 3.0, 1.0}, at::kDouble), 1e-12, 1e-12));
  // Gradients at zero (the series branch) and away from it agree with central differences.
  for (const at::Tensor& at0 : {at::zeros({6}, at::kDouble), delta}) {
    const at::Tensor weights = at::rand({4, 4}, at::kDouble);
    const at::Tensor x = at0.clone().requires_grad_(true);
    (refine::se3_exp(x, 2.0) * weights).sum().backward();
    for (int k = 0; k < 6; ++k) {
      const double h = 1e-6;
      at::Tensor a = at0.clone(), b = at0.clone();
      a[k] += h;
      b[k] -= h;
      const double fd = ((refine::se3_exp(a, 2.0) - refine::se3_exp(b, 2.0)) * weights).sum().item<double>() / (2 * h);
      EXPECT_NEAR(x.grad()[k].item<double>(), fd, 1e-7) << "component " << k;
    }
  }
  // The corrected camera agrees with the corrected matrix, and pose_difference measures the change.
  Camera cam;
  cam.fx = cam.fy = 50;
  cam.width = cam.height = 64;
  cam.look_at({3, 1, 2}, {0, 0, 0}, {0, 0, 1});
  const at::Tensor rot_only = at::tensor({0.0, 0.02, 0.0, 0.0, 0.0, 0.0}, at::kDouble);
  const Camera moved = refine::corrected_camera(cam, rot_only, 0.0);
  const refine::PoseDifference d = refine::pose_difference(cam, moved);
  EXPECT_NEAR(d.rotation_deg, 0.02 * 180 / M_PI, 1e-9);
  EXPECT_NEAR(d.translation, 0.0, 1e-12);  // about the centre: the centre stays
  const at::Tensor vm = refine::corrected_viewmat(render::viewmat_of(cam, at::kDouble), delta, 1.5);
  const Camera c2 = refine::corrected_camera(cam, delta, 1.5);
  EXPECT_TRUE(at::allclose(vm, render::viewmat_of(c2, at::kDouble), 1e-12, 1e-12));
}

// Levenberg-Marquardt on a residual that is linear in the pose, r(x) = A (x - x*), with one direction 100x weaker
// than the others: it reaches x* in every component (the weak one included), its best cost never rises, a pose
// whose cost is higher is undone, and no step moves the image further than max_step_px.
TEST(PoseSearch, LevenbergMarquardtConvergesInWeakDirectionsAndNeverRises) {
  const refine::PoseVector target = {0.03, -0.02, 0.01, 0.05, 0.0, -0.04};
  std::mt19937 rng(3);
  std::normal_distribution<double> n;
  std::vector<refine::PoseVector> rows(40);
  for (refine::PoseVector& row : rows) {
    for (double& v : row) v = n(rng);
    row[5] *= 0.01;  // a weakly constrained direction (a shift along the optical axis)
  }
  const auto residual = [&](const refine::PoseVector& x) {
    std::vector<double> r;
    for (const refine::PoseVector& row : rows) {
      double v = 0;
      for (size_t k = 0; k < 6; ++k) v += row[k] * (x[k] - target[k]);
      r.push_back(v + 0.02 * v * v);  // mildly non-linear
    }
    return r;
  };
  const auto cost = [&](const refine::PoseVector& x) {
    double c = 0;
    for (double v : residual(x)) c += v * v;
    return c;
  };
  const auto system = [&](const refine::PoseVector& x) {  // finite-difference Jacobian, as the refiner builds it
    refine::NormalEquations e;
    const std::vector<double> r0 = residual(x);
    std::array<std::vector<double>, 6> cols;
    for (size_t k = 0; k < 6; ++k) {
      refine::PoseVector m = x;
      m[k] += 1e-6;
      const std::vector<double> r1 = residual(m);
      for (size_t j = 0; j < r0.size(); ++j) cols[k].push_back((r1[j] - r0[j]) / 1e-6);
    }
    for (size_t a = 0; a < 6; ++a)
      for (size_t j = 0; j < r0.size(); ++j) {
        e.jtr[a] += cols[a][j] * r0[j];
        for (size_t b = 0; b < 6; ++b) e.jtj[a * 6 + b] += cols[a][j] * cols[b][j];
      }
    return e;
  };
  const refine::PoseVector px = {100, 100, 100, 100, 100, 100};  // pixels per unit
  refine::PoseSearchOptions o;
  refine::FramePoseSearch s;
  double previous_best = std::numeric_limits<double>::infinity();
  int steps = 0;
  for (; steps < 200 && !s.settled; ++steps) {
    const refine::PoseVector before = s.best;
    const double c = cost(s.delta);
    if (refine::pose_search_measure(s, c, o)) {
      const refine::NormalEquations e = system(s.best);
      refine::pose_search_propose(s, &e, px, o);
    } else {
      EXPECT_EQ(s.delta, before);  // undone: back at the best pose
      refine::pose_search_propose(s, nullptr, px, o);
    }
    EXPECT_LE(s.best_cost, previous_best);
    previous_best = s.best_cost;
    for (size_t k = 0; k < 6; ++k) EXPECT_LE(std::abs(s.delta[k] - s.best[k]) * px[k], o.max_step_px + 1e-9);
  }
  double err = 0;
  for (size_t k = 0; k < 6; ++k) err = std::max(err, std::abs(s.best[k] - target[k]));
  std::printf("Levenberg-Marquardt: error %.2e after %d measurements (%d accepted, %d undone)\n", err, steps, s.accepted,
              s.rejected);
  EXPECT_TRUE(s.settled);
  EXPECT_LT(err, 1e-4);
  // A new level forgets the cost record (costs differ between levels) but keeps the pose.
  refine::FramePoseSearch next = s;
  refine::pose_search_new_level(next, o);
  EXPECT_EQ(next.delta, s.best);
  EXPECT_TRUE(std::isinf(next.best_cost));
  EXPECT_FALSE(next.settled);
  // The damped solve: with no damping it is the Gauss-Newton step; a singular system gives no step.
  refine::NormalEquations diag;
  for (size_t k = 0; k < 6; ++k) diag.jtj[k * 7] = double(k + 1), diag.jtr[k] = 2.0 * double(k + 1);
  const refine::PoseVector x = refine::solve_damped(diag, 0);
  for (size_t k = 0; k < 6; ++k) EXPECT_NEAR(x[k], -2.0, 1e-9);
  EXPECT_EQ(refine::solve_damped(refine::NormalEquations{}, 0), refine::PoseVector{});
}

// The whole-image shift search finds a known shift of a textured image, and ignores zero-weight pixels.
TEST(PoseSearch, BestImageShiftFindsAKnownShift) {
  const int h = 40, w = 50, c = 3, dx = 4, dy = -3;
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> moving(size_t(h * w * c)), fixed(size_t(h * w * c), 0.f), weight(size_t(h * w), 1.f);
  for (float& v : moving) v = u(rng);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) {
        const int sx = x - dx, sy = y - dy;  // fixed(x, y) = moving(x - dx, y - dy)
        if (sx >= 0 && sx < w && sy >= 0 && sy < h) fixed[size_t((y * w + x) * c + k)] = moving[size_t((sy * w + sx) * c + k)];
        else weight[size_t(y * w + x)] = 0.f;
      }
  for (int x = 0; x < 10; ++x) fixed[size_t((20 * w + x) * c)] = 5.f, weight[size_t(20 * w + x)] = 0.f;  // ignored
  const refine::ImageShift s = refine::best_image_shift(moving.data(), fixed.data(), weight.data(), h, w, c, 6);
  EXPECT_EQ(s.dx, dx);
  EXPECT_EQ(s.dy, dy);
  EXPECT_NEAR(s.cost, 0.0, 1e-12);
}

// Why the camera stage downscales its masks by block minimum (DGGT-TTR's nearest-neighbour masks): a pole one pixel
// wide that a frame's mask takes out survives at every pyramid level, while a bilinear reduction (block mean, then
// >= 0.5) lets it vanish, so the coarse levels would compare the pole's pixels after all.
TEST(ImageLevels, AThinPoleInAMaskSurvivesNearestButNotBilinearDownscaling) {
  io::Dataset ds;
  ds.path = "pole";
  ds.frames.resize(1);
  io::Frame& f = ds.frames[0];
  f.name = "pole.png";
  f.camera.fx = f.camera.fy = 80;
  f.camera.cx = 48, f.camera.cy = 32, f.camera.width = 96, f.camera.height = 64;
  f.image = Image8(96, 64, 3, 128);
  Image8 pole(96, 64, 1, 255);
  for (int y = 10; y < 64; ++y) pole.at(41, y) = 0;  // the pole: column 41, from row 10 down
  f.mask = std::make_shared<const Image8>(pole);
  ds.train = {0};
  const refine::ImageLevel nearest = refine::make_image_level(ds, {0}, 4, 0, refine::LevelMasks::kStatic);
  const refine::ImageLevel bilinear = refine::make_image_level(ds, {0}, 4, 0, refine::LevelMasks::kStaticBilinear);
  const at::Tensor ours = nearest.mask(0), theirs = bilinear.mask(0);
  ASSERT_EQ(ours.size(1), 24);
  EXPECT_EQ(ours.select(1, 10).slice(0, 3).sum().item<double>(), 0.0);  // pixels 40-43 of rows 12-63: out
  EXPECT_EQ(ours.sum().item<double>(), 16.0 * 24 - 14);
  EXPECT_EQ(theirs.sum().item<double>(), 16.0 * 24);  // the pole is gone
}

// The camera stage's image reductions: the blur keeps constants, sums an impulse to one with the requested variance,
// and the box downscale is the block mean.
TEST(ImageLevels, BlurAndBlockMean) {
  const at::Tensor flat = at::full({20, 30, 3}, 0.25, at::kDouble);
  EXPECT_TRUE(at::allclose(refine::gaussian_blur(flat, 2.0), flat, 1e-12, 1e-12));
  at::Tensor impulse = at::zeros({41, 41, 1}, at::kDouble);
  impulse[20][20][0] = 1.0;
  const at::Tensor b = refine::gaussian_blur(impulse, 3.0).squeeze(2);
  EXPECT_NEAR(b.sum().item<double>(), 1.0, 1e-12);
  const at::Tensor x = at::arange(41, at::kDouble) - 20;
  const double variance = (b.sum(0) * x * x).sum().item<double>();
  // A normal truncated at 3 sigma has variance sigma^2 (1 - 6 phi(3) / (2 Phi(3) - 1)) = 0.9733 sigma^2; sampling on
  // the pixel grid adds about 1/12.
  EXPECT_NEAR(variance, 9.0 * 0.9733 + 1.0 / 12, 0.02);
  const at::Tensor img = at::rand({7, 9, 3}, at::kDouble);
  const at::Tensor d = refine::downscale_mean(img, 2);
  ASSERT_EQ(d.size(0), 3);
  ASSERT_EQ(d.size(1), 4);
  EXPECT_NEAR(d[1][2][0].item<double>(),
              (img[2][4][0] + img[2][5][0] + img[3][4][0] + img[3][5][0]).item<double>() / 4, 1e-12);
}

// A small scene fitted on its true cameras, shared by the refinement tests.
struct FittedScene {
  test::TempDir dir;
  io::Dataset ds;
  model::Gaussians g;
  double radius = 0;
};

const FittedScene& fitted_scene() {
  static FittedScene* s = [] {
    auto* f = new FittedScene;
    synth::SynthOptions so = test::small_object_scene(12, 3000);
    so.width = 96;
    so.height = 72;
    so.novel = 3;
    synth::write_synth_dataset(so, f->dir / "scene");
    f->ds = io::load_dataset(f->dir / "scene", {});
    fit::FitOptions fo;
    fo.iters = 600;
    fo.eval_every = 0;
    fo.sh_degree = 0;
    f->g = fit::fit(f->ds, model::init_from_points(*f->ds.points, {}), fo).gaussians;
    f->radius = io::scene_extent(f->ds) / 1.1;
    return f;
  }();
  return *s;
}

// Every camera but the first (with `train_only`: every training camera but the first) turned by `deg` about a
// random axis and moved by `frac` of the scene radius.
io::Dataset perturbed(const FittedScene& s, double deg, double frac, unsigned seed, bool train_only = false) {
  io::Dataset ds = s.ds;
  std::vector<size_t> frames;
  for (size_t i = 1; i < ds.frames.size(); ++i)
    if (!train_only || (i != ds.train.front() && std::find(ds.train.begin(), ds.train.end(), i) != ds.train.end()))
      frames.push_back(i);
  test::perturb_frames(ds, frames, deg, frac, s.radius, seed);
  return ds;
}

struct PoseErrors {
  double rotation_deg = 0, translation = 0;  // means over the perturbed frames; translation / radius
};
PoseErrors pose_errors(const FittedScene& s, const std::vector<Camera>& cams) {
  PoseErrors e;
  for (size_t i = 1; i < cams.size(); ++i) {
    const refine::PoseDifference d = refine::pose_difference(s.ds.frames[i].camera, cams[i]);
    e.rotation_deg += d.rotation_deg / double(cams.size() - 1);
    e.translation += d.translation / s.radius / double(cams.size() - 1);
  }
  return e;
}

TEST(Refine, RecoversPerturbedCameras) {
  const FittedScene& s = fitted_scene();
  const io::Dataset ds = perturbed(s, 2.0, 0.03, 4);
  std::vector<Camera> before;
  for (const io::Frame& f : ds.frames) before.push_back(f.camera);
  refine::RefineOptions o;
  o.stage_gs = false;
  o.steps_pose = 60;
  o.val = ds.test;
  const refine::RefineResult r = refine::refine(ds, s.g, o);
  const PoseErrors e0 = pose_errors(s, before), e1 = pose_errors(s, r.cameras);
  std::printf("camera errors: rotation %.3f -> %.3f deg, translation %.2f%% -> %.2f%% of the radius; train PSNR "
              "%.2f -> %.2f dB in %.1f s\n", e0.rotation_deg, e1.rotation_deg, 100 * e0.translation,
              100 * e1.translation, r.before_train.psnr, r.after_train.psnr, r.time_s);
  EXPECT_LT(e1.rotation_deg, 0.25 * e0.rotation_deg);
  EXPECT_LT(e1.translation, 0.25 * e0.translation);
  EXPECT_GT(r.after_train.psnr, r.before_train.psnr + 3.0);
  // The unperturbed frame stays within the noise floor of this small, briefly fitted model.
  EXPECT_LT(refine::pose_difference(ds.frames[0].camera, r.cameras[0]).rotation_deg, 0.5);
  ASSERT_EQ(r.stages.size(), 1u);
  EXPECT_EQ(r.stages[0].name, "pose");
}

// The failing case in small: scenes the refiner was never tuned on, every training camera but the first
// perturbed by 2° / 5%, the novel views keep their true cameras and validate; refine with defaults. Every training
// camera must come back (the worst one, not only the mean), and the held-out views must not get worse.
TEST(Refine, EveryCameraConvergesAndHeldOutViewsNeverGetWorse) {
  for (const uint64_t seed : {101u, 102u}) {
    FittedScene s;
    synth::SynthOptions so = test::small_object_scene(16, 4000);
    so.width = 128;
    so.height = 96;
    so.novel = 4;
    so.seed = seed;
    synth::write_synth_dataset(so, s.dir / "scene");
    s.ds = io::load_dataset(s.dir / "scene", {});
    fit::FitOptions fo;
    fo.iters = 800;
    fo.eval_every = 0;
    fo.sh_degree = 0;
    s.g = fit::fit(s.ds, model::init_from_points(*s.ds.points, {}), fo).gaussians;
    s.radius = test::camera_path_radius(s.ds);
    const io::Dataset ds = perturbed(s, 2.0, 0.05, unsigned(seed), /*train_only=*/true);
    refine::RefineOptions o;
    o.val = ds.test;
    const refine::RefineResult r = refine::refine(ds, s.g, o);
    const test::CameraErrors e = test::camera_errors(s.ds, r.cameras, ds.train, s.radius);
    std::printf("seed %d: rotation mean %.3f worst %.3f deg, translation mean %.2f%% worst %.2f%%; train %.2f -> "
                "%.2f dB, held-out %.2f -> %.2f dB, %d frames reset, %.1f s\n", int(seed), e.mean_deg, e.worst_deg,
                100 * e.mean, 100 * e.worst, r.before_train.psnr, r.after_train.psnr, r.before_val.psnr,
                r.after_val.psnr, r.stages[0].frames_reset, r.time_s);
    // At 128x96 on a model fitted 800 iterations (held-out ~22-27 dB) the floor is about 0.1°; the targets
    // at 256x192 are asserted by test_refine_slow and measured by scripts/bench-refine.sh.
    EXPECT_LT(e.mean_deg, 0.15) << "seed " << seed;
    EXPECT_LT(e.worst_deg, 0.4) << "seed " << seed;
    EXPECT_LT(e.mean, 0.005) << "seed " << seed;
    EXPECT_LT(e.worst, 0.01) << "seed " << seed;
    EXPECT_GT(r.after_train.psnr, r.before_train.psnr + 3.0) << "seed " << seed;
    EXPECT_GE(r.after_val.psnr, r.before_val.psnr) << "seed " << seed;
    // The report's per-stage validation figures chain: each stage starts where the last ended, ends no lower.
    ASSERT_EQ(r.stages.size(), 2u);
    EXPECT_DOUBLE_EQ(r.stages[0].val_start, r.before_val.psnr);
    EXPECT_DOUBLE_EQ(r.stages[1].val_start, r.stages[0].val_end);
    EXPECT_DOUBLE_EQ(r.stages[1].val_end, r.after_val.psnr);
    for (const refine::StageReport& st : r.stages) EXPECT_GE(st.val_end, st.val_start) << st.name;
    ASSERT_EQ(r.pose_frames.size(), ds.train.size() + ds.test.size());
    for (const refine::FramePoseReport& f : r.pose_frames) {
      if (!f.validation) {
        EXPECT_LE(f.loss_end, f.loss_start) << ds.frames[f.frame].name;
      }
    }
  }
}

// The fitted scene's Gaussians with noise on their base colours (and, when asked, their opacities).
model::Gaussians with_attribute_noise(const model::Gaussians& fitted, uint64_t seed, bool opacities) {
  model::Gaussians g = fitted;
  c10::NoGradGuard ng;
  at::manual_seed(seed);
  g.sh_dc = g.sh_dc + 0.4 * at::randn_like(g.sh_dc);
  if (opacities) g.opacity_logits = g.opacity_logits + at::randn_like(g.opacity_logits);
  return g;
}

TEST(Refine, AttributeStageRepairsPerturbedColoursAndOpacities) {
  const FittedScene& s = fitted_scene();
  const model::Gaussians g = with_attribute_noise(s.g, 2, true);
  refine::RefineOptions o;
  o.stage_pose = false;
  o.steps_gs = 50;
  o.val = s.ds.test;
  const refine::RefineResult r = refine::refine(s.ds, g, o);
  std::printf("attribute stage: train PSNR %.2f -> %.2f dB, validation %.2f -> %.2f dB (%s after %d steps)\n",
              r.before_train.psnr, r.after_train.psnr, r.before_val.psnr, r.after_val.psnr,
              r.stages[0].stop_reason.c_str(), r.stages[0].steps);
  EXPECT_GT(r.after_train.psnr, r.before_train.psnr + 2.0);
  EXPECT_GE(r.after_val.psnr, r.before_val.psnr);
  EXPECT_TRUE(at::equal(r.gaussians.means, g.means));  // positions are not in the default attribute set
}

// The Gaussian stage's default: 18 frames per step, 50 passes over the training frames (as many renders as 50 steps
// of every frame); explicit values as given.
TEST(Refine, GaussianStageDefaultsRenderFiftyPassesInStepsOfEighteenFrames) {
  refine::RefineOptions o;
  EXPECT_EQ(refine::gaussian_frames_per_step(o, 54), 18u);
  EXPECT_EQ(refine::gaussian_stage_steps(o, 54), 150);
  EXPECT_EQ(refine::gaussian_stage_steps(o, 24), 67);  // 1,206 renders for 24 x 50 = 1,200
  EXPECT_EQ(refine::gaussian_frames_per_step(o, 12), 12u);
  EXPECT_EQ(refine::gaussian_stage_steps(o, 12), 50);
  o.frames_per_step = 0;
  EXPECT_EQ(refine::gaussian_frames_per_step(o, 54), 54u);
  EXPECT_EQ(refine::gaussian_stage_steps(o, 54), 50);
  o.steps_gs = 7;
  EXPECT_EQ(refine::gaussian_stage_steps(o, 54), 7);
}

// Two of the training frames per step (each once per epoch) against every frame per step, at the same number of
// frame renders: the small steps repair more, and the held-out views do not get worse.
TEST(Refine, AttributeStageRepairsMoreFromAFewFramesPerStepAtEqualRenders) {
  const FittedScene& s = fitted_scene();
  const model::Gaussians g = with_attribute_noise(s.g, 3, false);
  refine::RefineOptions o;
  o.stage_pose = false;
  o.val = s.ds.test;
  o.steps_gs = 6 * 2;  // every frame (12) per step: 144 renders
  const refine::RefineResult all = refine::refine(s.ds, g, o);
  o.steps_gs = 6 * 12;  // two per step: the same 144
  o.frames_per_step = 2;
  const refine::RefineResult few = refine::refine(s.ds, g, o);
  std::printf("attribute stage, %zu training frames, 144 renders: train PSNR %.2f -> %.2f dB with all frames per step, "
              "%.2f with 2 (validation %.2f -> %.2f)\n", s.ds.train.size(), all.before_train.psnr,
              all.after_train.psnr, few.after_train.psnr, few.before_val.psnr, few.after_val.psnr);
  ASSERT_EQ(s.ds.train.size(), 12u);
  EXPECT_GT(few.after_train.psnr, few.before_train.psnr + 1.5);
  EXPECT_GT(few.after_train.psnr, all.after_train.psnr + 0.5);
  EXPECT_GE(few.after_val.psnr, few.before_val.psnr);
  o.frames_per_step = -1;
  EXPECT_THROW(refine::refine(s.ds, g, o), InputError);
}

// Few views, positions and scales free, high rates, many steps: built to overfit. Without validation the held-out
// views get worse; with it, refinement stops and rolls back, ending no worse than it started.
TEST(Refine, ValidationRollbackKeepsHeldOutViewsFromGettingWorse) {
  const FittedScene& s = fitted_scene();
  io::Dataset few = s.ds;
  few.train = {s.ds.train[0], s.ds.train[4]};
  refine::RefineOptions o;
  o.stage_pose = false;
  o.steps_gs = 80;
  o.patience = 1000;
  o.attrs = refine::parse_attributes("opacity,color,rotation,xyz,scale");
  o.lr.means *= 30;
  o.lr.log_scales *= 10;
  o.lr_final_fraction = 1;
  const refine::RefineResult unguarded = refine::refine(few, s.g, o);
  const double held_out_before = eval::evaluate(s.g, few, few.test, {}).psnr;
  const double held_out_unguarded = eval::evaluate(unguarded.gaussians, few, few.test, {}).psnr;
  o.val = few.test;
  const refine::RefineResult guarded = refine::refine(few, s.g, o);
  std::printf("overfitting case: held-out PSNR %.2f dB -> %.2f without validation, %.2f with (%s at step %d)\n",
              held_out_before, held_out_unguarded, guarded.after_val.psnr, guarded.stages[0].stop_reason.c_str(),
              guarded.stages[0].steps);
  EXPECT_LT(held_out_unguarded, held_out_before - 0.5);  // the case does overfit
  EXPECT_GE(guarded.after_val.psnr, guarded.before_val.psnr);
  EXPECT_GT(guarded.after_train.psnr, guarded.before_train.psnr - 1e-9);
}

// Sky fusion on a street (sky at the top) with the scene's depth maps as the prior (0 = sky) and the Gaussians
// initialized from its surface points: the fused sky covers the true sky and little else.
TEST(Refine, SkyFusionFindsTheStreetSky) {
  test::TempDir dir;
  synth::SynthOptions so = test::small_object_scene(4, 4000);
  so.preset = "street";
  so.width = 96;
  so.height = 72;
  synth::write_synth_dataset(so, dir / "scene");
  const io::Dataset ds = io::load_dataset(dir / "scene", {});
  const model::Gaussians g = model::init_from_points(*ds.points, {});
  refine::RefineOptions o;
  o.stage_pose = false;
  o.steps_gs = 1;
  o.depth_priors = refine::read_depth_priors(ds, ds.train, (dir / "scene") + "/depth");
  o.sky_fusion = true;
  const refine::RefineResult r = refine::refine(ds, g, o);
  ASSERT_FALSE(r.depth.empty());
  for (const refine::DepthReport& d : r.depth) {
    const double true_sky = (o.depth_priors[d.frame] <= 0).to(at::kDouble).mean().item<double>();
    ASSERT_GT(true_sky, 0.03) << "the test needs sky in view";
    std::printf("%s: fused sky %.3f, true sky %.3f\n", ds.frames[d.frame].name.c_str(), d.sky_fraction, true_sky);
    EXPECT_NEAR(d.sky_fraction, true_sky, 0.25 * true_sky) << ds.frames[d.frame].name;
  }
}

// Box fitting on LiDAR returns: returns on the faces of a 4.2 x 1.8 x 1.5 m box that a sensor sees, plus returns
// that are not on a face (the roof, a pole 0.4 m beside the box), seen in the frame of a box pose that is off by a
// known shift and turn. The fit must undo it.
Vec3 box_motion(const refine::BoxCorrection& c, const Vec3& p) {
  const double co = std::cos(c.dyaw), si = std::sin(c.dyaw);
  return {co * p[0] - si * p[1] + c.dx, si * p[0] + co * p[1] + c.dy, p[2]};
}

refine::BoxCorrection inverse_motion(const refine::BoxCorrection& c) {
  const double co = std::cos(c.dyaw), si = std::sin(c.dyaw);
  return {-(co * c.dx + si * c.dy), -(-si * c.dx + co * c.dy), -c.dyaw};
}

std::vector<Vec3> box_returns(bool rear, bool left_side, std::mt19937& rng) {
  std::normal_distribution<double> noise(0, 0.01);
  std::vector<Vec3> p;
  for (double z = -0.5; z <= 0.6; z += 0.15) {
    if (rear)
      for (double y = -0.85; y <= 0.85; y += 0.1) p.push_back({-2.1 + noise(rng), y, z});
    if (left_side)
      for (double x = -2.05; x <= 2.05; x += 0.1) p.push_back({x, 0.9 + noise(rng), z});
  }
  for (double x = -1.2; x <= 0.8; x += 0.2) p.push_back({x, 0.0, 0.75});  // the roof
  for (double z = -0.5; z <= 0.7; z += 0.1) p.push_back({-1.0, -1.3, z});  // a pole beside the box
  return p;
}

TEST(BoxFit, UndoesAKnownBoxErrorFromTheFacesTheSensorSees) {
  std::mt19937 rng(5);
  const Vec3 half{2.1, 0.9, 0.75};
  struct Case {
    const char* name;
    bool rear, side;
    Vec3 sensor;  // true box frame
  };
  for (const Case& k : {Case{"rear and left side", true, true, {-12, 8, 1}},
                        Case{"rear only, straight behind (side seen edge-on)", true, false, {-20, 1.2, 1}}}) {
    for (const refine::BoxCorrection& error : {refine::BoxCorrection{0.25, -0.15, 0.05},
                                               refine::BoxCorrection{-0.2, 0.3, -0.05}}) {
      // The input pose is the true one moved by `error` (in its box frame): returns seen in it are error⁻¹(p).
      const refine::BoxCorrection undo = inverse_motion(error);
      std::vector<Vec3> seen;
      for (const Vec3& p : box_returns(k.rear, k.side, rng)) seen.push_back(box_motion(undo, p));
      const std::optional<refine::BoxCorrection> fit = refine::fit_box(seen, box_motion(undo, k.sensor), half);
      ASSERT_TRUE(fit) << k.name;
      EXPECT_NEAR(fit->dx, undo.dx, 0.03) << k.name;
      EXPECT_NEAR(fit->dy, undo.dy, 0.03) << k.name;
      EXPECT_NEAR(fit->dyaw, undo.dyaw, 0.005) << k.name;
    }
  }
  // Too few returns on the faces, or the sensor inside the box's footprint: no fit.
  EXPECT_FALSE(refine::fit_box({{-2.1, 0, 0}, {-2.1, 0.1, 0}}, {-20, 0, 1}, half));
  EXPECT_FALSE(refine::fit_box(box_returns(true, true, rng), {0, 0, 1}, half));
}

// Track smoothing: a vehicle at constant velocity whose boxes jitter by 0.3 m and 3 deg comes back within half the
// jitter; boxes fitted to LiDAR (sharp samples) pull their jittery neighbours to within a fraction of it; a braking
// vehicle (2 m/s², no jitter) and a turning one crossing yaw = ±π are left where they are (1e-6).
TEST(TrackSmoothing, RemovesJitterKeepsRealMotionAndFollowsSharpSamples) {
  std::mt19937 rng(9);
  std::normal_distribution<double> jitter(0, 0.3), turn(0, 0.052);
  std::vector<refine::TrackSample> truth, seen;
  for (int k = 0; k < 30; ++k) {
    const double t = 0.1 * k;
    truth.push_back({t, 5 + 8 * t, -2 + 0.5 * t, 0.3, 0.3, 0.052});
    refine::TrackSample s = truth.back();
    s.x += jitter(rng), s.y += jitter(rng), s.yaw += turn(rng);
    seen.push_back(s);
  }
  const auto rms = [&](const std::vector<refine::TrackSample>& a, size_t from, size_t step) {
    double e = 0, ey = 0;
    int n = 0;
    for (size_t k = from; k < a.size(); k += step, ++n) {
      e += std::pow(a[k].x - truth[k].x, 2) + std::pow(a[k].y - truth[k].y, 2);
      ey += std::pow(a[k].yaw - truth[k].yaw, 2);
    }
    return std::make_pair(std::sqrt(e / n), std::sqrt(ey / n));
  };
  const auto before = rms(seen, 0, 1), after = rms(refine::smooth_track(seen), 0, 1);
  std::printf("jitter: shift %.3f -> %.3f, yaw %.4f -> %.4f\n", before.first, after.first, before.second, after.second);
  EXPECT_LT(after.first, 0.5 * before.first);
  EXPECT_LT(after.second, 0.5 * before.second);
  std::vector<refine::TrackSample> mixed = seen;  // every third sample fitted to LiDAR: exact and sharp
  for (size_t k = 0; k < mixed.size(); k += 3) {
    mixed[k] = truth[k];
    mixed[k].sigma_position = 0.05, mixed[k].sigma_yaw = 0.01;
  }
  const auto between = rms(refine::smooth_track(mixed), 1, 3);
  EXPECT_LT(between.first, 0.1);
  std::vector<refine::TrackSample> braking, turning;
  for (int k = 0; k < 20; ++k) {
    const double t = 0.1 * k;
    braking.push_back({t, 10 * t - t * t, 0, 0, 0.3, 0.052});
    turning.push_back({t, 0, 0, std::remainder(3.0 + 0.5 * t, 2 * M_PI), 0.3, 0.052});
  }
  const std::vector<refine::TrackSample> b = refine::smooth_track(braking), u = refine::smooth_track(turning);
  for (size_t k = 0; k < b.size(); ++k) {
    EXPECT_NEAR(b[k].x, braking[k].x, 1e-6) << k;
    EXPECT_NEAR(std::remainder(u[k].yaw - turning[k].yaw, 2 * M_PI), 0, 1e-6) << k;
  }
}

// The small street both actor-stage tests use (seed 12: 5 timestamps x 2 cameras at 160x96, actors, LiDAR).
io::Dataset actor_street(const test::TempDir& dir, const io::LoadOptions& lo) {
  synth::SynthOptions so = test::small_street_scene(5, 2, 160, 96);
  so.seed = 12;
  synth::write_synth_dataset(so, dir / "scene");
  return io::load_dataset(dir / "scene", lo);
}

// Mean distance between the box centres of `tracks` and of `truth` (same actors, same timestamps).
double mean_box_centre_error(const std::vector<io::ActorTrack>& truth, const std::vector<io::ActorTrack>& tracks) {
  double sum = 0;
  int count = 0;
  for (size_t a = 0; a < truth.size(); ++a)
    for (size_t k = 0; k < truth[a].time_indices.size(); ++k, ++count)
      sum += norm(truth[a].object_to_world[k].translation - tracks[a].object_to_world[k].translation);
  return sum / count;
}

// The actor stage on a street whose boxes were moved by 0.3 m and 3 deg at every timestamp, from a start built on
// those boxes (as `ttgs init` builds it): the boxes must come back towards the truth (on their LiDAR returns where a
// face is seen, else in the images), and the held-out views must not get worse.
TEST(Refine, ActorStageBringsPerturbedBoxesBackToTheirLidarReturns) {
  test::TempDir dir;
  io::LoadOptions lo;
  lo.test_timestamps = std::vector<int>{2};
  io::Dataset ds = actor_street(dir, lo);
  ASSERT_FALSE(ds.actors.empty());
  const std::vector<io::ActorTrack> truth = ds.actors;
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> angle(0, 2 * M_PI);
  for (io::ActorTrack& track : ds.actors)
    for (Pose& pose : track.object_to_world) {
      const double a = angle(rng), yaw = (rng() % 2 ? 1 : -1) * 3 * M_PI / 180;
      pose = pose.compose(Pose{rotation_z(yaw), {0.3 * std::cos(a), 0.3 * std::sin(a), 0}});
    }
  model::SceneInitOptions si;
  si.base.opacity = 0.8f;
  refine::RefineOptions o;
  o.stage_pose = o.stage_gs = false;
  o.steps_actors = 16;
  o.val = ds.test;
  const refine::RefineResult r = refine::refine(ds, model::init_scene(ds, {}, si), o);
  const double before = mean_box_centre_error(truth, ds.actors);
  const double after = mean_box_centre_error(truth, model::tracks_of(r.scene.actors, ds.actors));
  std::printf("actor box centres from the truth: %.3f -> %.3f\n", before, after);
  EXPECT_NEAR(before, 0.3, 1e-6);
  // 0.133 here (0.227 without the tracks smoothed over time: far boxes have no returns on a face and barely move in
  // the images); the image-only Adam stage before this moved boxes away (0.30 -> 0.35-0.39 m on 3 x 20 streets).
  EXPECT_LT(after, 0.6 * before);
  ASSERT_EQ(r.stages.size(), 1u);
  EXPECT_GE(r.after_val.psnr, r.before_val.psnr);
}

// A log whose boxes all sit 0.25 m behind their cars (one offset, every timestamp), and a start built on those boxes
// (its actors' Gaussians sit 0.25 m ahead in their box frames, so it renders the cars where they are): the boxes come
// back onto the cars, and the cars must not move in the images (the shared correction is a box convention, not a
// motion; the Gaussians take its inverse).
TEST(Refine, ActorStageMovesBoxesNotTheCarsWhenEveryBoxSharesOneOffset) {
  test::TempDir dir;
  io::Dataset ds = actor_street(dir, {});
  ASSERT_FALSE(ds.actors.empty());
  const std::vector<io::ActorTrack> truth = ds.actors;
  for (io::ActorTrack& track : ds.actors)
    for (Pose& pose : track.object_to_world) pose = pose.compose(Pose{rotation_z(0), {-0.25, 0, 0}});
  model::SceneInitOptions si;
  si.base.opacity = 0.8f;
  refine::RefineOptions o;
  o.stage_pose = o.stage_gs = false;
  o.steps_actors = 8;
  const model::SceneModel start = model::init_scene(ds, {}, si);
  const refine::RefineResult r = refine::refine(ds, start, o);
  const double error = mean_box_centre_error(truth, model::tracks_of(r.scene.actors, ds.actors));
  // How far the images of the cars changed: mean absolute difference inside the boxes' rectangles.
  double changed = 0, pixels = 0;
  for (size_t i = 0; i < ds.frames.size(); ++i) {
    const at::Tensor inside = eval::actor_box_mask(ds, i, ds.frames[i].camera);
    const at::Tensor diff = (render::render_view(r.scene, ds, i, {}).rgb - render::render_view(start, ds, i, {}).rgb).abs();
    changed += (diff * inside).sum().item<double>() / 3;
    pixels += inside.sum().item<double>();
  }
  std::printf("boxes from the truth: 0.250 -> %.3f m; images of the cars changed by %.4f\n", error, changed / pixels);
  EXPECT_LT(error, 0.25 * 0.9);
  // 0.0005 here; 0.0031 with the Gaussians left where they were.
  EXPECT_LT(changed / pixels, 0.0015);
}

// A 4D street (2 cameras, actors, LiDAR) from a feed-forward-style start (model::init_scene from its LiDAR), every
// stage on: in rig mode the cameras of a timestamp move together (their relative poses are kept to 1e-6), held-out
// timestamps are never worse, and the outputs (scene folder with the
// refined tracks, transforms.json) load back as the refined scene and cameras.
TEST(Refine, StreetRigStagesKeepRelativePosesAndWriteLoadableTracks) {
  test::TempDir dir;
  synth::write_synth_dataset(test::small_street_scene(4, 2, 96, 64), dir / "scene");
  io::LoadOptions lo;
  lo.test_timestamps = std::vector<int>{2};
  const io::Dataset ds = io::load_dataset(dir / "scene", lo);
  ASSERT_EQ(ds.sensors.size(), 2u);
  ASSERT_FALSE(ds.actors.empty());
  model::SceneInitOptions si;
  si.base.opacity = 0.8f;
  const model::SceneModel start = model::init_scene(ds, {}, si);
  refine::RefineOptions o;
  o.steps_pose = 8;
  o.steps_actors = 4;
  o.steps_gs = 4;
  o.val = ds.test;
  const refine::RefineResult r = refine::refine(ds, start, o);
  ASSERT_EQ(r.stages.size(), 3u);
  EXPECT_EQ(r.stages[1].name, "actors");
  EXPECT_GE(r.after_val.psnr, r.before_val.psnr);
  for (size_t i = 0; i < ds.frames.size(); ++i)
    for (size_t j = 0; j < ds.frames.size(); ++j) {
      if (i == j || ds.frames[i].time_index != ds.frames[j].time_index) continue;
      const Pose before = Pose::from_matrix(ds.frames[j].camera.world_to_camera_matrix())
                              .compose(Pose::from_matrix(ds.frames[i].camera.world_to_camera_matrix()).inverse());
      const Pose after = Pose::from_matrix(r.cameras[j].world_to_camera_matrix())
                             .compose(Pose::from_matrix(r.cameras[i].world_to_camera_matrix()).inverse());
      for (size_t a = 0; a < 3; ++a) {
        EXPECT_NEAR(before.translation[a], after.translation[a], 1e-6);
        for (size_t b = 0; b < 3; ++b) EXPECT_NEAR(before.rotation[a][b], after.rotation[a][b], 1e-6);
      }
    }
  refine::write_refine_outputs(dir / "out", r, o, ds, {"start", {}});
  const io::Dataset back = io::load_dataset(dir / "out", lo);
  ASSERT_EQ(back.frames.size(), ds.frames.size());
  for (size_t i = 0; i < ds.frames.size(); ++i)
    EXPECT_LT(refine::pose_difference(back.frames[i].camera, r.cameras[i]).rotation_deg, 1e-4);
  const model::SceneModel loaded = model::scene_for_dataset(model::read_scene_folder(dir / "out"), back);
  EXPECT_LT((loaded.actors.translation - r.scene.actors.translation).abs().max().item<double>(), 1e-4);
  const model::ActorPoses from_tracks = model::actor_poses(back.actors, back.timestamps.size());
  EXPECT_LT((from_tracks.translation - r.scene.actors.translation).abs().max().item<double>(), 1e-4);
}

// The camera stage from the true cameras of a street rig and a start built from LiDAR without optimization (as
// `ttgs init` builds it): the cameras must stay where they are. Opaque spheres on the road, seen at a grazing
// angle, cover the road behind them and shift its texture a few pixels up in the render; cameras were turned
// 0.9 deg on average (3 deg at worst, with the rig's correction paid for by one camera's loss) to match that.
TEST(Refine, LidarStartLeavesTrueRigCamerasInPlace) {
  test::TempDir dir;
  synth::SynthOptions so = test::small_street_scene(6, 3, 192, 128);
  so.seed = 41;
  synth::write_synth_dataset(so, dir / "scene");
  io::LoadOptions lo;
  lo.test_timestamps = std::vector<int>{2};
  const io::Dataset ds = io::load_dataset(dir / "scene", lo);
  model::SceneInitOptions si;
  si.base.opacity = 0.8f;
  si.base.surfel_neighbours = 16;
  refine::RefineOptions o;
  o.stage_actors = o.stage_gs = false;
  o.steps_pose = 24;
  o.val = ds.test;
  const refine::RefineResult r = refine::refine(ds, model::init_scene(ds, {}, si), o);
  double sum = 0, worst = 0;
  for (size_t i = 0; i < ds.frames.size(); ++i) {
    const double deg = refine::pose_difference(ds.frames[i].camera, r.cameras[i]).rotation_deg;
    sum += deg / double(ds.frames.size());
    worst = std::max(worst, deg);
  }
  std::printf("camera rotation from the truth: mean %.3f deg, worst %.3f deg\n", sum, worst);
  // Spheres instead of surfels: 0.226 mean, 0.413 worst; surfels with the points coloured by their own timestamp's
  // photos only: 0.152, 0.258; coloured by every photo that sees them: 0.025, 0.151; the points' depth buffer closed
  // only over gaps (not over a slanting road): 0.022, 0.043.
  EXPECT_LT(sum, 0.05);
  EXPECT_LT(worst, 0.1);
}

// A depth prior from a TorchScript model (built here with Module::define): read, resampled, aligned, used.
TEST(Refine, DepthPriorFromATorchScriptModel) {
  const FittedScene& s = fitted_scene();
  test::TempDir dir;
  torch::jit::Module m("DepthStub");
  // Depth from the image, at half resolution: a stand-in with the shape contract of a monocular network.
  m.define("def forward(self, x):\n  return 1.0 + x[:, 0:1, ::2, ::2] + x[:, 1:2, ::2, ::2]\n");
  m.save(dir / "depth.pt");
  std::vector<size_t> frames = s.ds.train;
  const std::vector<at::Tensor> priors = refine::predict_depth_priors(s.ds, frames, dir / "depth.pt", false);
  const io::Frame& f0 = s.ds.frames[frames[0]];
  ASSERT_TRUE(priors[frames[0]].defined());
  EXPECT_EQ(priors[frames[0]].size(0), f0.camera.height);
  EXPECT_EQ(priors[frames[0]].size(1), f0.camera.width);
  EXPECT_GE(priors[frames[0]].min().item<float>(), 1.0f);
  refine::RefineOptions o;
  o.stage_pose = false;
  o.steps_gs = 5;
  o.depth_priors = priors;
  const refine::RefineResult r = refine::refine(s.ds, s.g, o);
  EXPECT_EQ(r.depth.size(), frames.size());
  // The camera stage takes the prior too (its disparity residual joins the image residual).
  refine::RefineOptions cams = o;
  cams.stage_pose = true;
  cams.stage_gs = false;
  cams.steps_pose = 10;
  const refine::RefineResult rc = refine::refine(s.ds, s.g, cams);
  EXPECT_EQ(rc.depth.size(), frames.size());
  EXPECT_GE(rc.after_train.psnr, rc.before_train.psnr - 0.05);
  for (const refine::DepthReport& d : r.depth) {
    EXPECT_GT(d.inlier_fraction, 0.0);
    EXPECT_EQ(d.sky_fraction, -1.0);  // fusion off
  }
  // A model that is not TorchScript fails with the file's name.
  test::write_text(dir / "bad.pt", "nope");
  try {
    refine::predict_depth_priors(s.ds, frames, dir / "bad.pt", false);
    ADD_FAILURE();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.pt"), std::string::npos);
  }
  EXPECT_THROW(refine::parse_attributes("opacity,shininess"), InputError);
}

}  // namespace
}  // namespace ttgs
