// The 4D scene model: actors placed by their tracks (against a direct computation and finite differences), the
// environment map, per-image appearance and its interpolation for test images, and the scene folder round trip.
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "io/dataset.hpp"
#include "model/actors.hpp"
#include "model/appearance.hpp"
#include "model/environment.hpp"
#include "model/scene_files.hpp"
#include "model/point_colours.hpp"
#include "model/scene_init.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

model::Gaussians two_part_gaussians() {
  at::manual_seed(1);
  model::Gaussians g;
  g.means = at::randn({4, 3}, at::kDouble);
  g.log_scales = at::full({4, 3}, -2.0, at::kDouble);
  g.quats = at::randn({4, 4}, at::kDouble);
  g.opacity_logits = at::zeros({4, 1}, at::kDouble);
  g.sh_dc = at::zeros({4, 3}, at::kDouble);
  g.sh_rest = at::zeros({4, 0, 3}, at::kDouble);
  g.part = at::tensor({-1, 0, 0, 1}, at::kLong);
  return g;
}

io::ActorTrack track(const std::string& id, double yaw, const Vec3& t, std::vector<int> times) {
  io::ActorTrack a;
  a.id = id;
  a.size = {4, 2, 1.5};
  for (int k : times) {
    a.time_indices.push_back(k);
    a.object_to_world.push_back({rotation_z(yaw + 0.1 * k), t + Vec3{double(k), 0, 0}});
  }
  return a;
}

TEST(Actors, PlacementMatchesThePosesAndHidesUntrackedActors) {
  const model::Gaussians g = two_part_gaussians();
  const std::vector<io::ActorTrack> tracks{track("a", 0.5, {10, 0, 1}, {0, 1}), track("b", -1, {0, 5, 0}, {0})};
  const model::ActorPoses poses = model::actor_poses(tracks, 2);
  const model::Gaussians placed = model::place_at(g, poses, 1);
  const Pose pose = tracks[0].object_to_world[1];
  const Vec3 local{g.means[1][0].item<double>(), g.means[1][1].item<double>(), g.means[1][2].item<double>()};
  const Vec3 world = pose.apply(local);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(placed.means[1][c].item<double>(), world[size_t(c)], 1e-5);
  EXPECT_TRUE(placed.means[0].equal(g.means[0]));  // static: unchanged
  EXPECT_LT(placed.opacity_logits[3][0].item<double>(), -29);  // actor b is not tracked at timestamp 1
  EXPECT_EQ(placed.opacity_logits[1][0].item<double>(), 0.0);
  // Rotations: the placed Gaussian's rotation matrix is R_pose · R_local.
  const at::Tensor R_local = model::quaternion_to_rotation(g.quats.slice(0, 1, 2))[0];
  const at::Tensor R_placed = model::quaternion_to_rotation(placed.quats.slice(0, 1, 2))[0];
  at::Tensor R_pose = at::empty({3, 3}, at::kDouble);
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) R_pose[r][c] = pose.rotation[size_t(r)][size_t(c)];
  EXPECT_LT((R_placed - R_pose.matmul(R_local)).abs().max().item<double>(), 1e-5);
}

TEST(Actors, PlacementGradientsMatchFiniteDifferences) {
  model::Gaussians g = two_part_gaussians();
  model::ActorPoses poses = model::actor_poses({track("a", 0.3, {1, 2, 3}, {0}), track("b", 0, {0, 0, 0}, {0})}, 1);
  poses.quaternion = poses.quaternion.to(at::kDouble).requires_grad_(true);
  poses.translation = poses.translation.to(at::kDouble).requires_grad_(true);
  g.means.requires_grad_(true);
  const at::Tensor weights = at::randn({4, 3}, at::kDouble), qweights = at::randn({4, 4}, at::kDouble);
  const auto loss = [&](const model::Gaussians& gg, const model::ActorPoses& pp) {
    const model::Gaussians placed = model::place_at(gg, pp, 0);
    return (placed.means * weights).sum() + (placed.quats * qweights).sum();
  };
  loss(g, poses).backward();
  const double eps = 1e-6;
  for (const auto& [tensor, index] : std::vector<std::pair<at::Tensor*, std::vector<int64_t>>>{
           {&poses.quaternion, {0, 0, 2}}, {&poses.translation, {0, 0, 1}}, {&g.means, {2, 0}}}) {
    at::Tensor& t = *tensor;
    const double analytic = t.grad().index({index[0], index[1]}).flatten()[index.size() > 2 ? index[2] : 0].item<double>();
    c10::NoGradGuard ng;
    const at::Tensor base = t.detach().clone();
    const auto at_value = [&](double delta) {
      at::Tensor shifted = base.clone();
      shifted.index({index[0], index[1]}).flatten()[index.size() > 2 ? index[2] : 0] += delta;
      model::Gaussians gg = g;
      model::ActorPoses pp = poses;
      if (tensor == &g.means) gg.means = shifted;
      else if (tensor == &poses.quaternion) pp.quaternion = shifted;
      else pp.translation = shifted;
      return loss(gg, pp).item<double>();
    };
    const double numeric = (at_value(eps) - at_value(-eps)) / (2 * eps);
    EXPECT_NEAR(analytic, numeric, 1e-5 * std::max(1.0, std::abs(numeric)));
  }
}

TEST(Actors, EditsOnPosesMatchEditsOnTracks) {
  const std::vector<io::ActorTrack> tracks{track("a", 0.5, {10, 0, 1}, {0, 1}), track("b", -1, {0, 5, 0}, {0, 1})};
  const io::ActorEdit move = io::parse_actor_edit("move:a:1.5,-0.5,30");
  model::ActorPoses poses = model::actor_poses(tracks, 2);
  model::apply_edit(poses, move);
  const model::ActorPoses expected = model::actor_poses(io::apply_edit(tracks, move), 2);
  EXPECT_LT((poses.translation - expected.translation).abs().max().item<double>(), 1e-5);
  EXPECT_LT((model::quaternion_to_rotation(poses.quaternion.view({-1, 4})) -
             model::quaternion_to_rotation(expected.quaternion.view({-1, 4}))).abs().max().item<double>(), 1e-5);
  model::apply_edit(poses, io::parse_actor_edit("remove:b"));
  EXPECT_FALSE(poses.present[1].any().item<bool>());
  EXPECT_TRUE(poses.present[0].all().item<bool>());
  EXPECT_THROW(model::apply_edit(poses, io::parse_actor_edit("remove:zzz")), InputError);
  EXPECT_THROW(io::parse_actor_edit("move:a:1,2"), InputError);
  EXPECT_THROW(io::parse_actor_edit("paint:a"), InputError);
}

// The actor stage's corrections: zero changes nothing; (dx, dy, dyaw) is the `move:ID:dx,dy,dyaw` edit (box frame);
// gradients match finite differences; poses written back as tracks read the same.
TEST(Actors, CorrectionsAreBoxFrameMovesWithGradientsAndRoundTripAsTracks) {
  const std::vector<io::ActorTrack> tracks{track("a", 0.5, {10, 0, 1}, {0, 1}), track("b", -1, {0, 5, 0}, {1})};
  const model::ActorPoses poses = model::actor_poses(tracks, 2);
  const model::ActorPoses same = model::corrected_poses(poses, at::zeros({2, 2, 3}));
  EXPECT_LT((same.translation - poses.translation).abs().max().item<double>(), 1e-6);
  EXPECT_LT((same.quaternion - poses.quaternion).abs().max().item<double>(), 1e-6);

  at::Tensor c = at::zeros({2, 2, 3});
  c[0].select(1, 0).fill_(1.5);
  c[0].select(1, 1).fill_(-0.5);
  c[0].select(1, 2).fill_(30 * M_PI / 180);
  const model::ActorPoses moved = model::corrected_poses(poses, c);
  const model::ActorPoses expected = model::actor_poses(io::apply_edit(tracks, io::parse_actor_edit("move:a:1.5,-0.5,30")), 2);
  EXPECT_LT((moved.translation - expected.translation).abs().max().item<double>(), 1e-5);
  EXPECT_LT((model::quaternion_to_rotation(moved.quaternion.view({-1, 4})) -
             model::quaternion_to_rotation(expected.quaternion.view({-1, 4}))).abs().max().item<double>(), 1e-5);

  model::ActorPoses dposes = poses;
  dposes.quaternion = poses.quaternion.to(at::kDouble);
  dposes.translation = poses.translation.to(at::kDouble);
  const at::Tensor tw = at::randn({2, 2, 3}, at::kDouble), qw = at::randn({2, 2, 4}, at::kDouble);
  const auto loss = [&](const at::Tensor& corr) {
    const model::ActorPoses p = model::corrected_poses(dposes, corr);
    return (p.translation * tw).sum() + (p.quaternion * qw).sum();
  };
  const at::Tensor c0 = (0.1 * at::randn({2, 2, 3}, at::kDouble)).requires_grad_(true);
  loss(c0).backward();
  for (int64_t k = 0; k < 3; ++k) {
    c10::NoGradGuard no_grad;
    const double eps = 1e-6;
    at::Tensor plus = c0.detach().clone(), minus = c0.detach().clone();
    plus[1][1][k] += eps;
    minus[1][1][k] -= eps;
    const double numeric = (loss(plus).item<double>() - loss(minus).item<double>()) / (2 * eps);
    EXPECT_NEAR(c0.grad()[1][1][k].item<double>(), numeric, 1e-6 * std::max(1.0, std::abs(numeric))) << k;
  }

  const std::vector<io::ActorTrack> back = model::tracks_of(moved, tracks);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].time_indices, std::vector<int>{1});  // b is tracked at timestamp 1 only
  EXPECT_EQ(back[0].size, tracks[0].size);
  const model::ActorPoses again = model::actor_poses(back, 2);
  EXPECT_LT((again.translation - moved.translation).abs().max().item<double>(), 1e-5);
  EXPECT_TRUE(again.present.equal(poses.present));
}

TEST(Environment, LooksUpTheSkyAlongEachRayAndTakesGradients) {
  model::EnvironmentMap env = model::make_environment({0, 0, 1}, 8);
  // Upper half red, lower half blue (logits).
  env.logits.slice(0, 0, 4).fill_(0);
  env.logits.slice(0, 0, 4).select(2, 0).fill_(8);
  env.logits.slice(0, 4, 8).fill_(0);
  env.logits.slice(0, 4, 8).select(2, 2).fill_(8);
  const Camera up = test::pinhole_looking_at(9, 9, 4, {0, 0, 0}, {0, 0.001, 10}, {0, 1, 0});
  const Camera down = test::pinhole_looking_at(9, 9, 4, {0, 0, 0}, {0, 0.001, -10}, {0, 1, 0});
  EXPECT_GT(model::environment_background(env, up)[4][4][0].item<float>(), 0.99f);
  EXPECT_GT(model::environment_background(env, down)[4][4][2].item<float>(), 0.99f);
  env.logits.requires_grad_(true);
  model::environment_background(env, up).sum().backward();
  EXPECT_GT(env.logits.grad().slice(0, 0, 4).abs().sum().item<double>(), 0);
  EXPECT_EQ(env.logits.grad().slice(0, 5, 8).abs().sum().item<double>(), 0);
  const Vec3 u = model::mean_camera_up({test::pinhole_looking_at(8, 8, 4, {0, 0, 0}, {1, 0, 0}, {0, 0, 1})});
  EXPECT_NEAR(u[2], 1, 1e-9);
}

TEST(Appearance, AffineTransformAndInterpolationForTestImages) {
  io::Dataset ds;
  for (int k = 0; k < 4; ++k) {
    io::Frame f;
    f.time = 0.1 * k;
    f.time_index = k;
    f.sensor_index = k == 3 ? 1 : 0;
    ds.frames.push_back(f);
  }
  at::Tensor table = model::identity_appearance(4);
  table[0].select(1, 3).fill_(0.2);  // frame 0: offset 0.2
  table[2].select(1, 3).fill_(0.6);  // frame 2: offset 0.6
  const std::vector<bool> trained{true, false, true, false};
  EXPECT_NEAR(model::appearance_of(table, trained, ds, 1)[0][3].item<double>(), 0.4, 1e-6);  // halfway in time
  EXPECT_TRUE(model::appearance_of(table, trained, ds, 3).equal(model::identity_appearance(1)[0]));  // other camera
  const at::Tensor rgb = at::full({2, 2, 3}, 0.5);
  EXPECT_NEAR(model::apply_appearance(rgb, table[2])[1][1][0].item<double>(), 1.1, 1e-6);
}

TEST(SceneFiles, FolderRoundTripKeepsEveryPart) {
  test::TempDir dir;
  io::Dataset ds;
  ds.timestamps = {0.0, 0.5};
  for (int k = 0; k < 2; ++k) {
    io::Frame f;
    f.name = "f" + std::to_string(k);
    f.time = 0.5 * k;
    f.time_index = k;
    ds.frames.push_back(f);
  }
  ds.actors = {track("car 1", 0.2, {3, 0, 0}, {0, 1}), track("b", 0, {0, 1, 0}, {1})};
  model::SceneModel scene;
  model::Gaussians g = two_part_gaussians();
  for (at::Tensor* t : g.tensors()) *t = t->to(at::kFloat);
  scene.gaussians = g;
  scene.actors = model::actor_poses(ds.actors, 2);
  scene.environment = model::make_environment({0, 0, 1}, 4);
  scene.environment.logits[1][2][0] = 1.5;
  scene.appearance = model::identity_appearance(2);
  scene.appearance[1][0][3] = 0.25;
  scene.appearance_trained = {false, true};
  scene.antialiased = true;
  model::write_scene_folder(dir.path(), scene, ds);
  const model::LoadedScene loaded = model::read_scene_folder(dir / "scene.json");
  const model::SceneModel back = model::scene_for_dataset(loaded, ds);
  ASSERT_EQ(back.gaussians.size(), 4);
  EXPECT_TRUE(std::get<0>(back.gaussians.parts().sort()).equal(at::tensor({-1, 0, 0, 1}, at::kLong)));
  EXPECT_TRUE(back.actors.present.equal(scene.actors.present));
  EXPECT_LT((back.actors.translation - scene.actors.translation).abs().max().item<double>(), 1e-6);
  EXPECT_TRUE(back.environment.logits.equal(scene.environment.logits));
  EXPECT_TRUE(back.appearance.equal(scene.appearance));
  EXPECT_EQ(back.appearance_trained, scene.appearance_trained);
  EXPECT_TRUE(back.antialiased);
  // The baked PLY at timestamp 0 holds the static Gaussian and actor a's two (b is untracked then).
  EXPECT_EQ(model::bake_at(back, 0).size(), 3);
  EXPECT_TRUE(std::filesystem::exists(dir / "actors/car_1.ply"));
}

}  // namespace
}  // namespace ttgs

namespace ttgs {
namespace {

// A 32x32 camera at `centre` looking down +z, its photo filled with one colour, at timestamp `time_index`.
io::Frame flat_photo(const Vec3& centre, std::array<uint8_t, 3> rgb, int time_index) {
  io::Frame f;
  f.camera.fx = f.camera.fy = 32;
  f.camera.cx = f.camera.cy = 16;
  f.camera.width = f.camera.height = 32;
  f.camera.t = -1.0 * centre;
  f.image = Image8(32, 32, 3);
  for (size_t k = 0; k < f.image.data.size(); ++k) f.image.data[k] = rgb[k % 3];
  f.time_index = time_index;
  return f;
}

}  // namespace

// Every training photo colours the points it sees, whatever their timestamp; a point behind a nearer surface takes
// the colour of the photos that see it; actors' points are placed by their track at each photo's timestamp.
TEST(PointColours, EveryPhotoThatSeesAPointColoursItAndOccludedViewsDoNot) {
  io::Dataset ds;
  ds.timestamps = {0.0, 0.1};
  ds.frames = {flat_photo({0, 0, 0}, {255, 0, 0}, 0), flat_photo({4, 0, 0}, {0, 0, 255}, 1)};
  ds.train = {0, 1};
  PointCloud world;
  auto add = [](PointCloud& pc, const Vec3& p) {
    for (size_t c = 0; c < 3; ++c) pc.positions.push_back(float(p[c]));
  };
  for (int i = 0; i <= 10; ++i)  // a wall 2 m in front of the red camera, left of its optical axis
    for (int j = 0; j <= 20; ++j) add(world, {-0.5 + 0.05 * i, -0.5 + 0.05 * j, 2});
  const size_t only_blue = world.size(), hidden_from_red = only_blue + 1, nobody = only_blue + 2;
  add(world, {6, 0, 5});      // outside the red camera's view
  add(world, {-0.3, 0, 10});  // behind the wall for the red camera, in view of the blue one
  add(world, {0, 0, -5});     // behind both cameras
  io::ActorTrack actor;
  actor.id = "car";
  actor.size = {1, 1, 1};
  actor.time_indices = {1};
  actor.object_to_world = {Pose{identity3(), {4, 0, 6}}};
  ds.actors = {actor};
  std::vector<PointCloud> parts(1);
  add(parts[0], {0, 0, 0});  // in front of both cameras, but tracked only when the blue photo was taken
  model::colour_from_photos(ds, world, parts);
  auto colour = [](const PointCloud& pc, size_t i) {
    return std::array<float, 3>{pc.colors[3 * i], pc.colors[3 * i + 1], pc.colors[3 * i + 2]};
  };
  using RGB = std::array<float, 3>;
  for (size_t i = 0; i < only_blue; ++i) ASSERT_EQ(colour(world, i), (RGB{1, 0, 0})) << "wall point " << i;
  EXPECT_EQ(colour(world, only_blue), (RGB{0, 0, 1}));
  EXPECT_EQ(colour(world, hidden_from_red), (RGB{0, 0, 1}));
  EXPECT_EQ(colour(world, nobody), (RGB{0.5f, 0.5f, 0.5f}));
  EXPECT_EQ(colour(parts[0], 0), (RGB{0, 0, 1}));
}

}  // namespace ttgs

namespace ttgs {

// A LiDAR return inside an actor's box (grown by 0.1) is the actor's; one just outside it, above the ground, is
// nobody's (a noisy box's actor, not a static point to smear along its path); the ground beside it is static.
TEST(SceneInit, ReturnsNearANoisyBoxAreNeitherActorNorStatic) {
  io::Dataset ds;
  ds.timestamps = {0.0};
  io::ActorTrack car;
  car.id = "car";
  car.size = {4, 2, 1.5};
  car.time_indices = {0};
  car.object_to_world = {Pose{identity3(), {10, 0, 0.75}}};  // on the ground plane z = 0
  ds.actors = {car};
  io::LidarSweep sweep;
  auto add = [&sweep](const Vec3& p) {
    for (size_t c = 0; c < 3; ++c) sweep.points.push_back(float(p[c]));
  };
  for (int i = 0; i < 8; ++i)  // 64 returns on the car's side and top
    for (int j = 0; j < 8; ++j) add({8.2 + 0.45 * i, -1.0, 0.2 + 0.15 * j});
  for (int i = 0; i < 6; ++i) add({8.5 + 0.5 * i, -1.4, 0.8});   // 0.4 m beside the box, at door height
  for (int i = 0; i < 6; ++i) add({8.5 + 0.5 * i, -1.4, 0.05});  // the road beside it
  for (int i = 0; i < 6; ++i) add({-5.0 + 0.5 * i, 3.0, 0.0});   // road far from it
  ds.lidar = {sweep};
  model::SceneInitOptions o;
  o.environment = o.appearance = false;
  const model::SceneModel scene = model::init_scene(ds, {}, o);
  const at::Tensor part = scene.gaussians.parts();
  EXPECT_EQ((part == 0).sum().item<int64_t>(), 64);
  EXPECT_EQ((part < 0).sum().item<int64_t>(), 12);
  o.actor_margin = 0;  // the returns beside the box become static
  EXPECT_EQ((model::init_scene(ds, {}, o).gaussians.parts() < 0).sum().item<int64_t>(), 18);
}

}  // namespace ttgs

namespace ttgs {

// Seen by more photos than it keeps colours of (16), a point still takes the colour most of them show.
TEST(PointColours, ManyPhotosGiveTheMajorityColour) {
  io::Dataset ds;
  for (int k = 0; k < 40; ++k) {
    ds.frames.push_back(flat_photo({0.01 * k, 0, 0}, k % 4 == 0 ? std::array<uint8_t, 3>{0, 0, 255}
                                                             : std::array<uint8_t, 3>{255, 0, 0}, 0));
    ds.train.push_back(size_t(k));
  }
  PointCloud world;
  world.positions = {0.2f, 0.1f, 5.f};
  std::vector<PointCloud> none;
  model::colour_from_photos(ds, world, none);
  EXPECT_EQ(world.colors, (std::vector<float>{1, 0, 0}));
}

}  // namespace ttgs
