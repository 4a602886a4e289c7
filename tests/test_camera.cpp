#include <gtest/gtest.h>

#include <random>

#include "core/camera.hpp"
#include "core/distortion.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

namespace ttgs {
namespace {

Camera random_camera(std::mt19937& rng) {
  std::uniform_real_distribution<double> u(-1, 1);
  Camera c;
  c.fx = 500;
  c.fy = 480;
  c.cx = 320;
  c.cy = 240;
  c.width = 640;
  c.height = 480;
  c.R = quat_to_rotation({u(rng), u(rng), u(rng), u(rng)});
  c.t = {u(rng), u(rng), u(rng)};
  return c;
}

TEST(Camera, QuaternionRoundTrip) {
  std::mt19937 rng(1);
  for (int i = 0; i < 100; ++i) {
    const Camera c = random_camera(rng);
    const Mat3 back = quat_to_rotation(rotation_to_quat(c.R));
    for (int r = 0; r < 3; ++r)
      for (int k = 0; k < 3; ++k) EXPECT_NEAR(back[r][k], c.R[r][k], 1e-12);
  }
}

TEST(Camera, OpenGLConversionRoundTripAndAxes) {
  std::mt19937 rng(2);
  for (int i = 0; i < 50; ++i) {
    const Camera c = random_camera(rng);
    Camera d = c;
    d.set_camera_to_world_opengl(c.camera_to_world_opengl());
    for (int r = 0; r < 3; ++r) {
      EXPECT_NEAR(d.t[r], c.t[r], 1e-12);
      for (int k = 0; k < 3; ++k) EXPECT_NEAR(d.R[r][k], c.R[r][k], 1e-12);
    }
    // OpenGL looks down -z: the point one unit along the GL camera's -z axis is straight ahead in OpenCV.
    const Mat4 gl = c.camera_to_world_opengl();
    const Vec3 ahead{gl[0][3] - gl[0][2], gl[1][3] - gl[1][2], gl[2][3] - gl[2][2]};
    const Vec3 cam = c.world_to_camera(ahead);
    EXPECT_NEAR(cam[0], 0, 1e-12);
    EXPECT_NEAR(cam[1], 0, 1e-12);
    EXPECT_NEAR(cam[2], 1, 1e-12);
    // GL's +y (up) is OpenCV's -y (down).
    const Vec3 up{gl[0][3] + gl[0][1], gl[1][3] + gl[1][1], gl[2][3] + gl[2][1]};
    EXPECT_NEAR(c.world_to_camera(up)[1], -1, 1e-12);
  }
}

TEST(Camera, CenterProjectsAndDownscales) {
  std::mt19937 rng(3);
  const Camera c = random_camera(rng);
  const Vec3 p = c.center();
  const Vec3 q = c.world_to_camera(p);
  EXPECT_NEAR(norm(q), 0, 1e-12);
  const Camera d = c.downscaled(4);
  EXPECT_EQ(d.width, 160);
  EXPECT_EQ(d.height, 120);
  // A point's pixel position scales by exactly 1/4 with pixel centres at i + 0.5.
  const Vec3 x = c.center() + transpose(c.R) * Vec3{0.3, -0.2, 2.0};
  const auto a = c.project(x), b = d.project(x);
  EXPECT_NEAR(b[0], a[0] / 4, 1e-9);
  EXPECT_NEAR(b[1], a[1] / 4, 1e-9);
}

TEST(Distortion, UndistortInvertsDistort) {
  Distortion d;
  d.k1 = 0.0578421;
  d.k2 = -0.0805099;
  d.p1 = -0.000980296;
  d.p2 = 0.00015575;
  d.k3 = 0.01;
  std::mt19937 rng(4);
  std::uniform_real_distribution<double> u(-0.7, 0.7);
  for (int i = 0; i < 1000; ++i) {
    const double x = u(rng), y = u(rng);
    const auto dist = d.distort(x, y);
    const auto back = d.undistort(dist[0], dist[1]);
    EXPECT_NEAR(back[0], x, 1e-10);
    EXPECT_NEAR(back[1], y, 1e-10);
  }
  EXPECT_FALSE(d.is_zero());
  EXPECT_TRUE(Distortion{}.is_zero());
}

TEST(Errors, PrintablePathEscapesInvalidUtf8) {
  EXPECT_EQ(printable_path("a/b\xff.png"), "a/b\\xFF.png");
  EXPECT_EQ(printable_path("caf\xc3\xa9"), "caf\xc3\xa9");
  EXPECT_EQ(printable_path("x\ny"), "x\\x0Ay");
  const InputError e("f\xfe.ply", "bad");
  EXPECT_STREQ(e.what(), "f\\xFE.ply: bad");
}

TEST(Log, NoteOnceSaysEachMessageOnce) {
  set_quiet(false);
  testing::internal::CaptureStderr();
  note_once("unit test: first");
  note_once("unit test: first");
  note_once("unit test: second");
  note("unit test: plain");
  note("unit test: plain");
  EXPECT_EQ(testing::internal::GetCapturedStderr(),
            "ttgs: unit test: first\nttgs: unit test: second\nttgs: unit test: plain\nttgs: unit test: plain\n");
}

}  // namespace
}  // namespace ttgs
