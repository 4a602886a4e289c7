#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "io/ply.hpp"
#include "model/gaussians.hpp"
#include "model/init.hpp"
#include "model/tensor_image.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

TEST(Gaussians, SplatRoundTripActivationsSelectConcat) {
  SplatData s;
  s.resize(5, 2);
  for (size_t i = 0; i < s.means.size(); ++i) s.means[i] = float(i);
  for (size_t i = 0; i < 5; ++i) {
    s.quats[i * 4] = 2.f;  // unnormalized on purpose
    s.opacity_logits[i] = 0.f;
    s.log_scales[i * 3] = std::log(0.5f);
  }
  const model::Gaussians g = model::from_splat_data(s);
  g.check();
  EXPECT_EQ(g.size(), 5);
  EXPECT_EQ(g.sh_degree(), 2);
  EXPECT_EQ(g.sh_rest.sizes(), (std::vector<int64_t>{5, 8, 3}));
  EXPECT_FLOAT_EQ(g.opacities()[2][0].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(g.scales()[1][0].item<float>(), 0.5f);
  EXPECT_FLOAT_EQ(g.rotations()[3][0].item<float>(), 1.f);
  const SplatData back = model::to_splat_data(g);
  EXPECT_EQ(back.means, s.means);
  EXPECT_EQ(back.sh_rest, s.sh_rest);
  const model::Gaussians sel = g.select(at::tensor({0, 1, 0, 1, 0}).to(at::kBool));
  EXPECT_EQ(sel.size(), 2);
  EXPECT_FLOAT_EQ(sel.means[1][0].item<float>(), 9.f);
  const model::Gaussians both = model::concat(g, sel);
  EXPECT_EQ(both.size(), 7);
  both.check();
  model::Gaussians broken = g;
  broken.quats = broken.quats.narrow(1, 0, 3);
  EXPECT_THROW(broken.check(), std::invalid_argument);
}

TEST(Init, FromPointsUsesThreeNearestNeighbours) {
  // Points on a line with spacing 1 and 2: the mean distance to the 3 nearest neighbours is known exactly.
  PointCloud pc;
  for (float x : {0.f, 1.f, 2.f, 3.f, 5.f}) pc.positions.insert(pc.positions.end(), {x, 0.f, 0.f});
  pc.colors.assign(15, 0.25f);
  model::InitOptions o;
  o.opacity = 0.3f;
  o.sh_degree = 1;
  const model::Gaussians g = model::init_from_points(pc, o);
  const at::Tensor s = g.scales();
  EXPECT_NEAR(s[0][0].item<float>(), (1 + 2 + 3) / 3.f, 1e-5);  // from 0: 1, 2, 3
  EXPECT_NEAR(s[4][2].item<float>(), (2 + 3 + 4) / 3.f, 1e-5);  // from 5: neighbours 3, 2, 1 at distances 2, 3, 4
  EXPECT_NEAR(g.opacities()[1][0].item<float>(), 0.3f, 1e-6);
  EXPECT_NEAR(g.base_colors()[2][1].item<float>(), 0.25f, 1e-6);
  EXPECT_FLOAT_EQ(g.quats[3][0].item<float>(), 1.f);
  EXPECT_EQ(g.sh_degree(), 1);
  EXPECT_THROW(model::init_from_points(PointCloud{}, o), std::invalid_argument);
}

TEST(Init, SurfelsLieFlatOnTheirPlaneAndLinesStaySpheres) {
  // A jittered grid on the plane through the origin with normal n (tilted), and a separate line of points.
  const auto unit = [](const Vec3& v) { return (1.0 / norm(v)) * v; };
  const Vec3 n = unit(Vec3{0.3, -0.5, 0.8});
  const Vec3 a = unit(cross(n, Vec3{1, 0, 0})), b = cross(n, a);
  PointCloud pc;
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> jitter(-0.1, 0.1);
  for (int i = 0; i < 20; ++i)
    for (int j = 0; j < 20; ++j) {
      const Vec3 p = (0.5 * (i + jitter(rng))) * a + (0.5 * (j + jitter(rng))) * b;
      pc.positions.insert(pc.positions.end(), {float(p[0]), float(p[1]), float(p[2])});
    }
  for (int i = 0; i < 30; ++i) pc.positions.insert(pc.positions.end(), {100.f + 0.3f * float(i), 50.f, 50.f});
  model::InitOptions o;
  o.surfel_neighbours = 12;
  o.surfel_thickness = 0.1f;
  const model::Gaussians g = model::init_from_points(pc, o);
  const at::Tensor scales = g.scales();
  const at::Tensor spheres = model::init_from_points(pc, model::InitOptions{}).scales();
  for (int64_t k = 0; k < 400; ++k) {
    const Mat3 r = quat_to_rotation({g.quats[k][0].item<double>(), g.quats[k][1].item<double>(),
                                     g.quats[k][2].item<double>(), g.quats[k][3].item<double>()});
    const Vec3 axis{r[0][2], r[1][2], r[2][2]};  // the third axis carries the smallest scale
    EXPECT_GT(std::abs(dot(axis, n)), 0.99) << "point " << k;
    EXPECT_NEAR(scales[k][2].item<float>(), 0.1f * scales[k][0].item<float>(), 1e-5);
    EXPECT_NEAR(scales[k][0].item<float>(), spheres[k][0].item<float>(), 1e-5);  // in-plane: the kNN distance
  }
  for (int64_t k = 400; k < 430; ++k) {  // a line has no plane: spheres, identity rotation
    EXPECT_FLOAT_EQ(g.quats[k][0].item<float>(), 1.f);
    EXPECT_FLOAT_EQ(scales[k][2].item<float>(), scales[k][0].item<float>());
  }
  o.surfel_thickness = 0;
  EXPECT_THROW(model::init_from_points(pc, o), std::invalid_argument);
}

TEST(Init, RealPointCloudGivesFiniteScales) {
  TTGS_REQUIRE_SHARED("fox/points3D.ply");
  const model::Gaussians g = model::init_from_points(io::read_point_cloud_ply(test::shared_data("fox/points3D.ply")), {});
  EXPECT_EQ(g.size(), 12224);
  EXPECT_TRUE(g.log_scales.isfinite().all().item<bool>());
  EXPECT_GT(g.scales().min().item<float>(), 0.f);
}

TEST(Init, RandomPointsLieInEveryCamerasView) {
  // Four cameras on a circle of radius 4 looking at the origin.
  std::vector<Camera> cams;
  for (int i = 0; i < 4; ++i) {
    const double a = i * M_PI / 2;
    cams.push_back(test::pinhole_looking_at(64, 48, 50, {4 * std::cos(a), 0, 4 * std::sin(a)}, {0, 0, 0}, {0, 1, 0}));
  }
  model::RandomInitOptions o;
  o.count = 500;
  o.seed = 3;
  const model::Gaussians g = model::init_random(cams, o);
  ASSERT_EQ(g.size(), 500);
  const at::Tensor m = g.means.to(at::kDouble);
  for (int64_t i = 0; i < g.size(); ++i) {
    const Vec3 p{m[i][0].item<double>(), m[i][1].item<double>(), m[i][2].item<double>()};
    for (const Camera& c : cams) {
      const Vec3 q = c.world_to_camera(p);
      ASSERT_GT(q[2], 0);
      const auto uv = c.project(p);
      ASSERT_TRUE(uv[0] >= 0 && uv[0] < 64 && uv[1] >= 0 && uv[1] < 48);
    }
  }
  // Deterministic in the seed.
  EXPECT_TRUE(at::equal(model::init_random(cams, o).means, g.means));
}

TEST(TensorImage, RoundTrip) {
  Image img(3, 2, 3);
  for (size_t i = 0; i < img.data.size(); ++i) img.data[i] = float(i);
  const at::Tensor t = model::to_tensor(img);
  EXPECT_EQ(t.sizes(), (std::vector<int64_t>{2, 3, 3}));
  EXPECT_FLOAT_EQ(t[1][2][0].item<float>(), 15.f);
  EXPECT_EQ(model::from_tensor(t).data, img.data);
}

}  // namespace
}  // namespace ttgs
