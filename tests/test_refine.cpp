// Test-time refinement: the RANSAC disparity alignment, the camera-correction maths, and refinement runs on small
// synthetic scenes with known ground truth (cameras perturbed, attributes perturbed, a case built to overfit).
#include <gtest/gtest.h>
#include <torch/script.h>

#include <cmath>
#include <random>

#include "core/error.hpp"
#include "eval/evaluate.hpp"
#include "fit/trainer.hpp"
#include "model/init.hpp"
#include "refine/depth_alignment.hpp"
#include "refine/depth_prior.hpp"
#include "refine/pose_correction.hpp"
#include "refine/refiner.hpp"
#include "refine/sky_fusion.hpp"
#include "scene_fixture.hpp"
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
    f->radius = fit::scene_extent(f->ds) / 1.1;
    return f;
  }();
  return *s;
}

// Every camera but the first turned by `deg` about a random axis and moved by `frac` of the scene radius.
io::Dataset perturbed(const FittedScene& s, double deg, double frac, unsigned seed) {
  io::Dataset ds = s.ds;
  std::mt19937 rng(seed);
  std::normal_distribution<double> n;
  const auto unit = [&] {
    Vec3 v{n(rng), n(rng), n(rng)};
    return (1 / norm(v)) * v;
  };
  for (size_t i = 1; i < ds.frames.size(); ++i) {
    Camera& c = ds.frames[i].camera;
    const Vec3 centre = c.center() + frac * s.radius * unit();
    const Vec3 axis = unit();
    const double a = deg * M_PI / 180;
    const Quat q{std::cos(a / 2), std::sin(a / 2) * axis[0], std::sin(a / 2) * axis[1], std::sin(a / 2) * axis[2]};
    c.R = quat_to_rotation(q) * c.R;
    c.t = -1.0 * (c.R * centre);
  }
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

TEST(Refine, AttributeStageRepairsPerturbedColoursAndOpacities) {
  const FittedScene& s = fitted_scene();
  model::Gaussians g = s.g;
  {
    at::NoGradGuard ng;
    at::manual_seed(2);
    g.sh_dc = g.sh_dc + 0.4 * at::randn_like(g.sh_dc);
    g.opacity_logits = g.opacity_logits + at::randn_like(g.opacity_logits);
  }
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
