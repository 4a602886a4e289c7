#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "io/dataset.hpp"
#include "io/undistort.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

// The fox camera: 1080x1920 with OpenCV distortion.
struct FoxLens {
  Camera cam;
  Distortion dist;
};

FoxLens fox_lens() {
  const io::DatasetSource src = io::read_dataset_source(test::shared_data("fox"));
  return {src.frames.front().camera, src.frames.front().distortion};
}

TEST(Undistort, FoxDistortedProjectionsMapToPinholeWithin005Px) {
  TTGS_REQUIRE_SHARED("fox/transforms.json");
  const FoxLens lens = fox_lens();
  const Camera& cam = lens.cam;
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  double worst = 0;
  int tested = 0;
  for (int i = 0; i < 2000; ++i) {
    // A random world point in front of the camera whose pinhole projection falls inside the frame.
    const double px = u(rng) * cam.width, py = u(rng) * cam.height, depth = 0.5 + 5 * u(rng);
    const Vec3 in_cam{(px - cam.cx) / cam.fx * depth, (py - cam.cy) / cam.fy * depth, depth};
    const Vec3 world = transpose(cam.R) * (in_cam - cam.t);
    const auto pinhole = cam.project(world);
    // Its projection through the real, distorted lens.
    const Vec3 c = cam.world_to_camera(world);
    const auto nd = lens.dist.distort(c[0] / c[2], c[1] / c[2]);
    const double du = nd[0] * cam.fx + cam.cx, dv = nd[1] * cam.fy + cam.cy;
    const auto back = io::undistort_pixel(cam, lens.dist, du, dv);
    worst = std::max(worst, std::hypot(back[0] - pinhole[0], back[1] - pinhole[1]));
    // The image remap looks up exactly that distorted position for the pinhole pixel.
    const auto looked_up = io::distort_pixel(cam, lens.dist, pinhole[0], pinhole[1]);
    worst = std::max(worst, std::hypot(looked_up[0] - du, looked_up[1] - dv));
    ++tested;
  }
  EXPECT_EQ(tested, 2000);
  EXPECT_LT(worst, 0.05);
}

TEST(Undistort, RemappedImageMatchesThePinholeRendering) {
  TTGS_REQUIRE_SHARED("fox/transforms.json");
  FoxLens lens = fox_lens();
  Camera cam = lens.cam.downscaled(8);  // 135x240: the same lens at a small size
  // A smooth pattern defined on pinhole pixel coordinates, "photographed" through the distorted lens.
  const auto pattern = [](double u, double v) { return float(0.5 + 0.4 * std::sin(u * 0.11) * std::cos(v * 0.07)); };
  Image distorted(cam.width, cam.height, 1);
  for (int y = 0; y < cam.height; ++y)
    for (int x = 0; x < cam.width; ++x) {
      const auto p = io::undistort_pixel(cam, lens.dist, x + 0.5, y + 0.5);
      distorted.at(x, y) = pattern(p[0], p[1]);
    }
  const io::UndistortMap map = io::make_undistort_map(cam, lens.dist);
  const Image out = io::remap_bilinear(distorted, map);
  double max_err = 0;
  for (int y = 2; y < cam.height - 2; ++y)
    for (int x = 2; x < cam.width - 2; ++x)
      if (map.valid[size_t(y) * cam.width + x]) max_err = std::max(max_err, double(std::abs(out.at(x, y) - pattern(x + 0.5, y + 0.5))));
  EXPECT_LT(max_err, 0.01);  // bilinear interpolation error of this smooth pattern
}

}  // namespace
}  // namespace ttgs
