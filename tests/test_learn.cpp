// Learned-reconstruction building blocks: sparse voxel convolution against LibTorch's dense conv3d, voxel levels,
// the neural-Gaussian state and decoder, and gradient lifting against finite differences.
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/error.hpp"
#include "dist/collective.hpp"
#include "dist/launch.hpp"
#include "io/dataset.hpp"
#include "learn/learned_optimizer.hpp"
#include "learn/lift.hpp"
#include "learn/model_file.hpp"
#include "learn/neural_gaussians.hpp"
#include "learn/sparse_conv.hpp"
#include "learn/test_time_training.hpp"
#include "learn/training.hpp"
#include "learn/update_network.hpp"
#include "model/tensor_image.hpp"
#include "model/threads.hpp"
#include "scene_fixture.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

TEST(SparseConv, MatchesDenseConvolutionAndItsGradient) {
  at::manual_seed(0);
  const int64_t D = 6, cin = 3, cout = 4;
  // A random sparse occupancy of a 6^3 grid (about a third of the voxels), shifted to negative coordinates.
  const at::Tensor occupied = (at::rand({D, D, D}) < 0.35).nonzero() - 2;
  const learn::Voxelization vox = learn::voxelize(occupied);
  const int64_t v = vox.level.size();
  ASSERT_EQ(v, occupied.size(0));
  const at::Tensor feats = at::randn({v, cin}, at::kDouble).requires_grad_(true);
  const at::Tensor dense_w = at::randn({cout, cin, 3, 3, 3}, at::kDouble);
  // Sparse weight (27, Cin, Cout) from the dense one: offset k = (dx+1)*9 + (dy+1)*3 + (dz+1).
  const at::Tensor sparse_w = dense_w.permute({2, 3, 4, 1, 0}).reshape({27, cin, cout}).contiguous();
  const at::Tensor out = learn::sparse_conv3d(feats, vox.level, sparse_w);
  // Dense: scatter the features into a grid (x, y, z as D, H, W), convolve with padding 1, read back.
  const at::Tensor c = vox.level.coords + 2;
  at::Tensor grid = at::zeros({1, cin, D, D, D}, at::kDouble);
  const at::Tensor feats_dense = feats.detach().clone().requires_grad_(true);
  grid = grid.index_put({at::Tensor(), at::Tensor(), c.select(1, 0), c.select(1, 1), c.select(1, 2)},
                        feats_dense.t().unsqueeze(0));
  const at::Tensor dense = at::conv3d(grid, dense_w, {}, 1, 1);
  const at::Tensor dense_at = dense.index({0, at::indexing::Slice(), c.select(1, 0), c.select(1, 1), c.select(1, 2)}).t();
  EXPECT_TRUE(at::allclose(out, dense_at, 1e-10, 1e-10));
  const at::Tensor w = at::randn_like(out);
  (out * w).sum().backward();
  (dense_at * w).sum().backward();
  EXPECT_TRUE(at::allclose(feats.grad(), feats_dense.grad(), 1e-10, 1e-10));
}

TEST(SparseConv, LevelsPoolingAndErrors) {
  const at::Tensor coords = at::tensor({0, 0, 0, 1, 1, 1, 2, 0, 0, 3, 1, 0, -1, 0, 0, 0, 0, 0}, at::kLong).reshape({6, 3});
  const learn::Voxelization v = learn::voxelize(coords);
  EXPECT_EQ(v.level.size(), 5);  // one duplicate
  EXPECT_EQ(v.point_to_voxel[0].item<int64_t>(), v.point_to_voxel[5].item<int64_t>());
  const learn::Voxelization parent = learn::coarsen(v.level);
  // (0,0,0) and (1,1,1) share parent (0,0,0); (2,0,0) and (3,1,0) share (1,0,0); (-1,0,0) -> (-1,0,0).
  EXPECT_EQ(parent.level.size(), 3);
  const at::Tensor vals = at::arange(5, at::kDouble).unsqueeze(1);
  const at::Tensor mean = learn::scatter_mean(vals, parent.point_to_voxel, parent.level.size());
  ASSERT_EQ(mean.size(0), 3);
  for (int64_t i = 0; i < 5; ++i) {
    const int64_t p = parent.point_to_voxel[i].item<int64_t>();
    const at::Tensor members = (parent.point_to_voxel == p).nonzero().squeeze(1);
    EXPECT_NEAR(mean[p][0].item<double>(), vals.index_select(0, members).mean().item<double>(), 1e-12);
  }
  EXPECT_THROW(learn::voxelize(at::zeros({3, 2}, at::kLong)), std::invalid_argument);
  EXPECT_THROW(learn::voxel_coords(at::zeros({3, 3}), 0.0), std::invalid_argument);
}

TEST(NeuralGaussians, InitialStateAndPassThroughDecoder) {
  PointCloud pts;
  for (int i = 0; i < 10; ++i) pts.positions.insert(pts.positions.end(), {float(i), 0.f, 0.f});
  learn::NeuralInitOptions o;
  o.latent = 8;
  const at::Tensor s = learn::init_neural_state(pts, o);
  ASSERT_EQ(s.size(0), 10);
  ASSERT_EQ(s.size(1), 14 + 8);
  // Points 1 apart on a line: the 3rd nearest neighbour of an interior point is 2 away, of an end point 3.
  EXPECT_NEAR(std::exp(s[5][learn::kLogScale].item<double>()), 2.0, 1e-6);
  EXPECT_NEAR(std::exp(s[0][learn::kLogScale].item<double>()), 3.0, 1e-6);
  const model::Gaussians g = learn::to_gaussians(learn::Decoder::zeros(s.size(1)).decode(s));
  EXPECT_NEAR(g.opacities()[3][0].item<double>(), 0.7, 1e-6);
  EXPECT_TRUE(at::allclose(g.base_colors(), at::full({10, 3}, 0.5), 1e-6, 1e-6));
  EXPECT_TRUE(at::allclose(g.rotations(), at::tensor({1.f, 0.f, 0.f, 0.f}).expand({10, 4})));
  EXPECT_GT(s.slice(1, 14).std().item<double>(), 0.05);  // a random latent
  EXPECT_TRUE(at::equal(s, learn::init_neural_state(pts, o)));  // seeded
}

TEST(Lift, GradientMatchesFiniteDifferencesAndIsNormalized) {
  at::manual_seed(1);
  const Camera cam = test::pinhole_looking_at(16, 12, 20, {0, 0, -4}, {0, 0, 0}, {0, -1, 0});
  PointCloud pts;
  for (int i = 0; i < 12; ++i)
    pts.positions.insert(pts.positions.end(), {float(0.3 * std::sin(i)), float(0.25 * std::cos(2 * i)), float(0.1 * i)});
  learn::NeuralInitOptions o;
  o.latent = 4;
  const at::Tensor state = learn::init_neural_state(pts, o).to(at::kDouble);
  learn::Decoder dec{0.05 * at::randn({14, state.size(1)}, at::kDouble), 0.01 * at::randn({14}, at::kDouble)};
  const std::vector<learn::View> views = {{cam, at::rand({12, 16, 3}, at::kDouble), at::Tensor()}};
  const learn::LiftedGradient lifted = learn::lift_gradients(state, dec, views);
  // Central differences on a few entries: a position, a colour, the opacity, a latent channel.
  const auto loss_at = [&](const at::Tensor& s) { return learn::lift_gradients(s, dec, views).loss; };
  for (const auto& [row, col] : std::vector<std::pair<int, int>>{{2, 0}, {5, 11}, {7, 13}, {3, 15}}) {
    const double h = 1e-6;
    at::Tensor a = state.clone(), b = state.clone();
    a[row][col] += h;
    b[row][col] -= h;
    const double fd = (loss_at(a) - loss_at(b)) / (2 * h);
    EXPECT_GT(std::abs(fd), 1e-6) << "entry " << row << "," << col << " does not affect the loss";
    EXPECT_NEAR(lifted.raw[row][col].item<double>(), fd, 1e-5 + 1e-3 * std::abs(fd)) << row << "," << col;
  }
  // Each channel group divided by its RMS over the points (the gradient averaged over the views; the dimensionless
  // groups by at least 1% of the largest of their RMS), then clipped.
  const std::vector<int64_t> bounds{0, 3, 6, 10, 13, 14, state.size(1)};
  double reference = 0;
  for (size_t k = 1; k + 1 < bounds.size(); ++k)
    reference = std::max(reference, lifted.raw.slice(1, bounds[k], bounds[k + 1]).pow(2).mean().sqrt().item<double>());
  for (size_t k = 0; k + 1 < bounds.size(); ++k) {
    const at::Tensor raw = lifted.raw.slice(1, bounds[k], bounds[k + 1]);
    double rms = raw.pow(2).mean().sqrt().item<double>();
    ASSERT_GT(rms, 0) << "group " << k;
    if (k > 0) rms = std::max(rms, learn::kGradientFloor * reference);
    const at::Tensor expected = (raw / rms).clamp(-learn::kGradientClip, learn::kGradientClip);
    EXPECT_LT((lifted.normalized.slice(1, bounds[k], bounds[k + 1]) - expected).abs().max().item<double>(), 1e-9)
        << "group " << k;
  }
  // Scale-free: ten times the gradient (a larger image, fewer views) normalizes to the same input.
  EXPECT_LT((learn::normalize_gradient(10 * lifted.raw) - lifted.normalized).abs().max().item<double>(), 1e-9);
}

TEST(UpdateNetwork, ShapesRangeGradientsAndSeed) {
  PointCloud pts;
  for (int i = 0; i < 300; ++i)
    pts.positions.insert(pts.positions.end(), {float(std::sin(0.7 * i)), float(std::cos(1.3 * i)), float(0.01 * i)});
  learn::NeuralInitOptions o;
  o.latent = 8;
  const at::Tensor state = learn::init_neural_state(pts, o);
  learn::UpdateNetworkConfig c;
  c.state_channels = state.size(1);
  c.hidden = 8;
  c.levels = 3;
  c.voxel_size = 0.1;
  learn::UpdateNetwork net(c, 5);
  for (auto& [name, t] : net.parameters()) t.requires_grad_(true);
  const at::Tensor grad = at::rand_like(state) * 2 - 1;
  const at::Tensor u = net.forward(state, grad, 3, 24);
  ASSERT_EQ(u.sizes(), state.sizes());
  EXPECT_LT(u.abs().max().item<double>(), 1.0);
  EXPECT_GT(u.abs().max().item<double>(), 0.0);
  (u * at::randn_like(u)).sum().backward();
  for (const auto& [name, t] : net.parameters()) {
    ASSERT_TRUE(t.grad().defined()) << name;
    EXPECT_GT(t.grad().abs().sum().item<double>(), 0.0) << name << " gets no gradient";
  }
  // Same seed, same network; the timestep matters.
  learn::UpdateNetwork again(c, 5);
  c10::NoGradGuard ng;
  EXPECT_TRUE(at::allclose(again.forward(state, grad, 3, 24), u.detach()));
  EXPECT_FALSE(at::allclose(again.forward(state, grad, 20, 24), u.detach()));
  EXPECT_THROW(net.forward(state.slice(1, 0, 14), grad, 0, 24), std::invalid_argument);
  EXPECT_NEAR(learn::cosine_step_size(0, 24, 0.5), 0.5, 1e-12);
  EXPECT_NEAR(learn::cosine_step_size(12, 24, 0.5), 0.25, 1e-12);
  EXPECT_NEAR(learn::cosine_step_size(24, 24, 0.5), 0.0, 1e-12);
}

// The learned optimizer learns: a few training passes on a tiny scene lower the novel-view loss its T steps reach.
TEST(LearnedOptimizer, TrainingLowersTheLossItsStepsReach) {
  test::TempDir dir;
  synth::SynthOptions so = test::small_object_scene(6, 1500);
  synth::write_synth_dataset(so, dir / "scene");
  const io::Dataset ds = io::load_dataset(dir / "scene", {});
  learn::TrainingScene scene;
  learn::NeuralInitOptions init;
  init.latent = 8;
  scene.initial_state = learn::init_neural_state(*ds.points, init);
  for (size_t i : ds.train) scene.source.push_back({ds.frames[i].camera, model::to_tensor(ds.frames[i].image), {}});
  for (size_t i : ds.test) scene.novel.push_back({ds.frames[i].camera, model::to_tensor(ds.frames[i].image), {}});
  learn::UpdateNetworkConfig c;
  c.state_channels = scene.initial_state.size(1);
  c.hidden = 8;
  c.levels = 2;
  c.voxel_size = 0.1;
  learn::LearnedOptimizer opt = learn::LearnedOptimizer::create(c, 1);
  learn::TrainOptions to;
  to.steps = 4;
  to.lr = 3e-3;
  const auto novel_loss = [&] {
    const at::Tensor s = learn::run_learned_optimizer(opt, scene.initial_state, scene.source, to.steps);
    c10::NoGradGuard ng;
    return learn::render_loss(s, opt.decoder, scene.novel).item<double>();
  };
  const double start = [&] {
    c10::NoGradGuard ng;
    return learn::render_loss(scene.initial_state, opt.decoder, scene.novel).item<double>();
  }();
  const double before = novel_loss();
  optim::Adam adam = learn::network_adam(opt, to.lr);
  for (int pass = 0; pass < 8; ++pass) learn::train_on_scene(opt, adam, scene, to);
  const double after = novel_loss();
  std::printf("novel-view loss: initial state %.4f, untrained %d steps %.4f, after 8 training passes %.4f\n", start,
              to.steps, before, after);
  EXPECT_LT(after, 0.9 * before);
}

// Each learned step's views: evenly spaced over the source views, the choice rotating with the step so that n / k
// consecutive steps read every view exactly once; 0 or k >= n: every view in order.
TEST(LearnedOptimizer, ViewsPerStepRotateOverEveryView) {
  std::vector<learn::View> source(12);
  for (size_t i = 0; i < source.size(); ++i) source[i].camera.width = int(i);  // tag each view by its index
  const auto indices = [&](int step, int per_step) {
    std::vector<int> out;
    for (const learn::View& v : learn::views_for_step(source, step, per_step)) out.push_back(v.camera.width);
    return out;
  };
  EXPECT_EQ(indices(0, 3), (std::vector<int>{0, 4, 8}));
  EXPECT_EQ(indices(1, 3), (std::vector<int>{1, 5, 9}));
  EXPECT_EQ(indices(13, 3), (std::vector<int>{1, 5, 9}));
  std::vector<int> seen(source.size(), 0);
  for (int step = 0; step < 4; ++step)
    for (int i : indices(step, 3)) ++seen[size_t(i)];
  EXPECT_EQ(seen, std::vector<int>(source.size(), 1));
  for (int per_step : {0, 12, 20}) EXPECT_EQ(indices(5, per_step).size(), source.size()) << per_step;
  EXPECT_EQ(indices(5, 0).front(), 0);
}

// Test-time training on a scene whose photos are all 35% darker than the scaffold's colours (an exposure shift the
// network never saw): the decoder's colour bias can absorb it, so the adapting steps' loss falls, the check views
// (never rendered by an adapting step) gain PSNR and the adaptation is kept. With an absurd learning rate it makes
// things worse: the original decoder is returned and the steps are taken again as the model would take them.
TEST(TestTimeTraining, AdaptsTheDecoderToAnExposureShiftAndGuardsAgainstHarm) {
  test::TempDir dir;
  synth::write_synth_dataset(test::small_object_scene(8, 1500), dir / "scene");
  const io::Dataset ds = io::load_dataset(dir / "scene", {});
  learn::NeuralInitOptions init;
  init.latent = 8;
  const at::Tensor state = learn::init_neural_state(*ds.points, init);
  std::vector<learn::View> source;
  for (size_t i : ds.train) source.push_back({ds.frames[i].camera, model::to_tensor(ds.frames[i].image) * 0.65, {}});
  ASSERT_EQ(source.size(), 8u);
  learn::UpdateNetworkConfig c;
  c.state_channels = state.size(1);
  c.hidden = 8;
  c.levels = 2;
  c.voxel_size = 0.1;
  const learn::LearnedOptimizer opt = learn::LearnedOptimizer::create(c, 1);

  learn::TttOptions o;
  o.lr = 0.01;
  learn::TttReport report;
  const learn::AdaptedRun adapted = learn::adapt_while_stepping(opt, state, source, 0, 6, 2, o, report);
  ASSERT_TRUE(report.ran);
  EXPECT_EQ(report.check_views, (std::vector<size_t>{2, 6}));  // a quarter of 8, evenly spaced
  EXPECT_EQ(report.steps, 6);
  ASSERT_EQ(report.losses.size(), 6u);
  std::printf("adapting steps' loss %.4f -> %.4f; check views %.2f -> %.2f dB\n", report.losses.front(),
              report.losses.back(), report.check_psnr_unadapted, report.check_psnr_adapted);
  EXPECT_LT(report.losses.back(), 0.9 * report.losses.front());
  EXPECT_TRUE(report.kept);
  EXPECT_GT(report.check_psnr_adapted, report.check_psnr_unadapted + 0.5);
  EXPECT_EQ(report.view_renders, 4);  // the check: 2 views, adapted and original decoder
  EXPECT_GT((adapted.decoder.bias - opt.decoder.bias).abs().max().item<double>(), 0.0);

  // The steps without adaptation, on the views the adapting steps read (the check views left out).
  const std::vector<learn::View> stepping = learn::views_without(source, report.check_views);
  ASSERT_EQ(stepping.size(), 6u);
  at::Tensor plain = state;
  for (int t = 0; t < 6; ++t) plain = learn::run_learned_step(opt, plain, learn::views_for_step(stepping, t, 2), t, 6);

  o.lr = 1e4;  // every step overshoots: tanh saturates and the colours leave [0, 1]
  const learn::AdaptedRun guarded = learn::adapt_while_stepping(opt, state, source, 0, 6, 2, o, report);
  EXPECT_FALSE(report.kept);
  EXPECT_TRUE(at::equal(guarded.decoder.weight, opt.decoder.weight));
  EXPECT_TRUE(at::equal(guarded.decoder.bias, opt.decoder.bias));
  EXPECT_TRUE(at::allclose(guarded.state, plain, 1e-5, 1e-6));
  EXPECT_EQ(report.view_renders, 4 + 6 * 2);  // the check and the retaken steps

  learn::adapt_while_stepping(opt, state, {source[0], source[1], source[2]}, 4, 6, 2, o, report);
  EXPECT_FALSE(report.ran);
  EXPECT_NE(report.stop_reason.find("at least 4"), std::string::npos);
}

// The calibrated step scales: stored per T in the model file, linear in T between calibrated counts, the nearest
// one's outside them, 1 without calibration; a bad value is refused naming the file.
TEST(ModelFile, StepScalesRoundTripAndInterpolate) {
  test::TempDir dir;
  learn::UpdateNetworkConfig c;
  c.state_channels = learn::kGaussianChannels + 4;
  c.hidden = 4;
  c.levels = 1;
  learn::LoadedOptimizer m{learn::LearnedOptimizer::create(c, 1), 24, 8, 24, 4, 0, {}};
  EXPECT_EQ(learn::step_scale_at(m, 12), 1.0);
  m.step_scales = {{12, 1.0}, {24, 0.5}};
  learn::save_learned_optimizer(dir / "m.ttgs", m);
  const learn::LoadedOptimizer back = learn::load_learned_optimizer(dir / "m.ttgs");
  EXPECT_EQ(back.step_scales, m.step_scales);
  EXPECT_DOUBLE_EQ(learn::step_scale_at(back, 12), 1.0);
  EXPECT_DOUBLE_EQ(learn::step_scale_at(back, 24), 0.5);
  EXPECT_DOUBLE_EQ(learn::step_scale_at(back, 18), 0.75);
  EXPECT_DOUBLE_EQ(learn::step_scale_at(back, 8), 1.0);
  EXPECT_DOUBLE_EQ(learn::step_scale_at(back, 30), 0.5);

  m.step_scales = {{24, -1.0}};
  learn::save_learned_optimizer(dir / "bad.ttgs", m);
  try {
    learn::load_learned_optimizer(dir / "bad.ttgs");
    FAIL() << "a negative step scale was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("step_scales"), std::string::npos);
  }
}

// Scale-free: the same scene at 10x its size (points, scales, camera positions) gives the same learned steps: the
// voxel and the position steps follow the extent, the network reads offsets within voxels and log-scales relative to
// the voxel, and the gradient is RMS-normalized, so the renders agree.
TEST(LearnedOptimizer, SameStepsAtTenTimesTheSceneScale) {
  test::TempDir dir;
  synth::write_synth_dataset(test::small_object_scene(6, 1500), dir / "scene");
  learn::NeuralInitOptions init;
  init.latent = 4;
  const learn::TrainingScene a = learn::make_training_scene(io::load_dataset(dir / "scene", {}), init);
  learn::TrainingScene b = a;
  const double s = 10;
  b.extent = a.extent * s;
  b.initial_state = a.initial_state.clone();
  b.initial_state.slice(1, learn::kPosition, learn::kPosition + 3).mul_(s);
  b.initial_state.slice(1, learn::kLogScale, learn::kLogScale + 3).add_(std::log(s));
  for (std::vector<learn::View>* views : {&b.source, &b.novel})
    for (learn::View& v : *views)
      for (double& x : v.camera.t) x *= s;
  learn::UpdateNetworkConfig c;
  c.state_channels = a.initial_state.size(1);
  c.hidden = 8;
  c.levels = 2;
  learn::LearnedOptimizer opt = learn::LearnedOptimizer::create(c, 4);
  for (auto& [name, t] : opt.network.parameters()) t.mul_(3);  // an untrained network that moves things visibly
  opt.set_scene_extent(a.extent);
  const int T = 6;
  const at::Tensor sa = learn::run_learned_optimizer(opt, a.initial_state, a.source, T);
  opt.set_scene_extent(b.extent);
  const at::Tensor sb = learn::run_learned_optimizer(opt, b.initial_state, b.source, T);
  c10::NoGradGuard no_grad;
  const double moved = (sa - a.initial_state).slice(1, 0, 3).abs().mean().item<double>() / a.extent;
  EXPECT_GT(moved, 1e-3) << "the steps did not move the points";
  const model::Gaussians ga = learn::to_gaussians(opt.decoder.decode(sa)), gb = learn::to_gaussians(opt.decoder.decode(sb));
  const model::Gaussians start = learn::to_gaussians(opt.decoder.decode(a.initial_state));
  double largest = 0, change = 0;
  for (size_t k = 0; k < a.novel.size(); ++k) {
    const at::Tensor ra = learn::render_view(ga, a.novel[k]);
    largest = std::max(largest, (ra - learn::render_view(gb, b.novel[k])).abs().mean().item<double>());
    change += (ra - learn::render_view(start, a.novel[k])).abs().mean().item<double>() / double(a.novel.size());
  }
  std::printf("the steps moved points by %.4f of the extent and changed novel renders by %.2e on average; at 10x the "
              "scale the renders differ by at most %.2e\n", moved, change, largest);
  EXPECT_LT(largest, 0.1 * change);
}

// Data-parallel training: two ranks (Gloo, in two threads of this process) with one scene each end with the same
// weights as one rank whose batch holds both scenes; both differ from the untrained network.
TEST(TrainingRun, TwoRanksOfOneSceneMatchOneRankOfTwo) {
  if (!dist::gloo_available()) GTEST_SKIP() << "built without Gloo (libgloo-dev)";
  model::configure_threads(1);  // bit-stable kernels: the only difference left is where the sum is taken
  test::TempDir dir;
  learn::TrainingRun run;
  for (int seed : {1, 2}) {
    synth::SynthOptions so = test::small_object_scene(4, 500);
    so.seed = uint64_t(seed);
    so.width = 40;
    so.height = 32;
    const std::string path = dir / ("scene" + std::to_string(seed));
    synth::write_synth_dataset(so, path);
    run.corpus.push_back({path, "folder", 1, 1, 0, {}});
  }
  run.steps = run.steps_min = run.steps_max = 2;
  run.iters = 3;
  run.checkpoint_every = 0;
  run.network.hidden = 4;
  run.network.levels = 2;
  run.init.latent = 4;
  run.seed = 3;
  learn::TrainingRun one = run, two = run;
  one.out = dir / "one.ttgs";
  one.scenes_per_rank = 2;
  two.out = dir / "two.ttgs";
  two.scenes_per_rank = 1;
  learn::train_learned_optimizer(one, *dist::single_process());
  const dist::Endpoint master{"127.0.0.1", dist::free_loopback_port()};
  std::string failure;
  std::thread second([&] {
    try {
      learn::train_learned_optimizer(two, *dist::gloo_process_group(master, 1, 2, 60));
    } catch (const std::exception& e) {
      failure = e.what();
    }
  });
  learn::train_learned_optimizer(two, *dist::gloo_process_group(master, 0, 2, 60));
  second.join();
  ASSERT_EQ(failure, "");
  const learn::LoadedOptimizer a = learn::load_learned_optimizer(one.out), b = learn::load_learned_optimizer(two.out);
  learn::UpdateNetworkConfig config = run.network;
  config.state_channels = learn::kGaussianChannels + run.init.latent;
  const learn::LearnedOptimizer fresh = learn::LearnedOptimizer::create(config, run.seed);
  double largest_change = 0;
  for (size_t k = 0; k < a.opt.network.parameters().size(); ++k) {
    const at::Tensor& x = a.opt.network.parameters()[k].second;
    const at::Tensor& y = b.opt.network.parameters()[k].second;
    EXPECT_LT((x - y).abs().max().item<double>(), 1e-5) << a.opt.network.parameters()[k].first;
    largest_change = std::max(largest_change, (x - fresh.network.parameters()[k].second).abs().max().item<double>());
  }
  EXPECT_LT((a.opt.decoder.weight - b.opt.decoder.weight).abs().max().item<double>(), 1e-5);
  EXPECT_GT(largest_change, 1e-4) << "training did not change the network";
  // The log names both scenes of every batch, each with its source label.
  std::ifstream log(two.out + ".log.jsonl");
  std::string line;
  int lines = 0;
  while (std::getline(log, line)) {
    const nlohmann::json j = nlohmann::json::parse(line);
    EXPECT_EQ(j.at("batch").get<int>(), lines++);
    ASSERT_EQ(j.at("scenes").size(), 2u);
    EXPECT_EQ(j.at("scenes")[0].at("source"), "folder");
  }
  EXPECT_EQ(lines, 3);
  model::configure_threads(0);
}

// The corpus draws: deterministic per (seed, batch, slot), in proportion to the weights, sources balanced.
TEST(Corpus, WeightedDrawsAndBalancedSources) {
  std::vector<learn::CorpusEntry> corpus;
  for (int i = 0; i < 8; ++i) corpus.push_back({"s" + std::to_string(i), "synthetic", 1, 1, 0, {}});
  for (int i = 0; i < 2; ++i) corpus.push_back({"r" + std::to_string(i), "real", 1, 1, 0, {}});
  learn::balance_sources(corpus, {{"synthetic", 3}, {"real", 1}});
  EXPECT_NEAR(corpus[0].weight, 3.0 / 8, 1e-12);
  EXPECT_NEAR(corpus[9].weight, 0.5, 1e-12);
  int real = 0;
  for (int b = 0; b < 4000; ++b) {
    const size_t k = learn::draw_scene(corpus, 5, b, 0);
    EXPECT_EQ(k, learn::draw_scene(corpus, 5, b, 0));
    real += corpus[k].source == "real";
  }
  EXPECT_NEAR(real / 4000.0, 0.25, 0.03);
  for (int b = 0; b < 200; ++b) {
    const int t = learn::draw_steps(5, b, 8, 24);
    EXPECT_GE(t, 8);
    EXPECT_LE(t, 24);
  }
  const std::vector<learn::CorpusEntry> made = learn::synthetic_entries("x", {50, 10, 96, 384, 8, 64, 0.3});
  int widest = 0, narrowest = 1000, streets = 0;
  for (const learn::CorpusEntry& e : made) {
    widest = std::max(widest, e.synth->width);
    narrowest = std::min(narrowest, e.synth->width);
    streets += e.synth->preset == "street";
    EXPECT_LE(double(e.synth->views) * e.synth->width * e.synth->height, 3.6e6);
    EXPECT_GE(e.synth->views, 8);
  }
  EXPECT_GT(widest, 250);
  EXPECT_LT(narrowest, 150);
  EXPECT_GT(streets, 5);
  EXPECT_LT(streets, 30);
}

}  // namespace
}  // namespace ttgs
