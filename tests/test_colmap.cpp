#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.hpp"
#include "io/colmap.hpp"
#include "io/dataset.hpp"
#include "io/file_util.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

void expect_same_model(const io::ColmapModel& a, const io::ColmapModel& b) {
  ASSERT_EQ(a.cameras.size(), b.cameras.size());
  for (const auto& [id, c] : a.cameras) {
    const auto& d = b.cameras.at(id);
    EXPECT_EQ(c.model, d.model);
    EXPECT_EQ(c.width, d.width);
    EXPECT_EQ(c.height, d.height);
    EXPECT_EQ(c.params, d.params);
  }
  ASSERT_EQ(a.images.size(), b.images.size());
  for (size_t i = 0; i < a.images.size(); ++i) {
    const auto &x = a.images[i], &y = b.images[i];
    EXPECT_EQ(x.id, y.id);
    EXPECT_EQ(x.qvec, y.qvec);
    EXPECT_EQ(x.tvec, y.tvec);
    EXPECT_EQ(x.camera_id, y.camera_id);
    EXPECT_EQ(x.name, y.name);
    ASSERT_EQ(x.points2d.size(), y.points2d.size());
    for (size_t k = 0; k < x.points2d.size(); ++k) {
      EXPECT_EQ(x.points2d[k].x, y.points2d[k].x);
      EXPECT_EQ(x.points2d[k].y, y.points2d[k].y);
      EXPECT_EQ(x.points2d[k].point3d_id, y.points2d[k].point3d_id);
    }
  }
  ASSERT_EQ(a.points.size(), b.points.size());
  for (size_t i = 0; i < a.points.size(); ++i) {
    EXPECT_EQ(a.points[i].id, b.points[i].id);
    EXPECT_EQ(a.points[i].xyz, b.points[i].xyz);
    EXPECT_EQ(a.points[i].rgb, b.points[i].rgb);
    EXPECT_EQ(a.points[i].error, b.points[i].error);
    ASSERT_EQ(a.points[i].track.size(), b.points[i].track.size());
    for (size_t k = 0; k < a.points[i].track.size(); ++k) {
      EXPECT_EQ(a.points[i].track[k].image_id, b.points[i].track[k].image_id);
      EXPECT_EQ(a.points[i].track[k].point2d_idx, b.points[i].track[k].point2d_idx);
    }
  }
}

TEST(Colmap, RealTextModelBinaryRoundTripAndReprojection) {
  TTGS_REQUIRE_SHARED("colmap_maupertuis/sparse/0/cameras.txt");
  const io::ColmapModel text = io::read_colmap_model(test::shared_data("colmap_maupertuis/sparse/0"));
  EXPECT_EQ(text.images.size(), 4u);
  EXPECT_EQ(text.points.size(), 1039u);
  test::TempDir dir;
  io::write_colmap_binary(text, dir.path());
  const io::ColmapModel bin = io::read_colmap_model(dir.path());
  expect_same_model(text, bin);
  test::TempDir dir2;
  io::write_colmap_text(bin, dir2.path());
  expect_same_model(text, io::read_colmap_model(dir2.path()));

  // Every observation of a triangulated point reprojects close to where COLMAP measured it.
  std::map<uint64_t, const io::ColmapPoint3D*> by_id;
  for (const auto& p : text.points) by_id[p.id] = &p;
  double sum = 0;
  size_t n = 0;
  for (const auto& im : text.images) {
    const auto& cc = text.cameras.at(im.camera_id);
    Camera cam;
    Distortion d;
    io::colmap_intrinsics(cc, "cameras.txt", cam.fx, cam.fy, cam.cx, cam.cy, d);
    cam = io::colmap_pose(im, cam);
    for (const auto& p2 : im.points2d) {
      if (p2.point3d_id < 0) continue;
      const auto* p3 = by_id.at(uint64_t(p2.point3d_id));
      const auto uv = cam.project({p3->xyz[0], p3->xyz[1], p3->xyz[2]});
      sum += std::hypot(uv[0] - p2.x, uv[1] - p2.y);
      ++n;
    }
  }
  ASSERT_GT(n, 1000u);
  EXPECT_LT(sum / double(n), 2.0) << "mean reprojection error over " << n << " observations";
}

TEST(Colmap, FolderWithSparseAndImagesLoadsLikeTheModel) {
  TTGS_REQUIRE_SHARED("colmap_maupertuis/images/00.jpg");
  io::LoadOptions o;
  o.downscale = 8;
  const io::Dataset a = io::load_dataset(test::shared_data("colmap_maupertuis"), o);
  const io::Dataset b = io::load_dataset(test::shared_data("colmap_maupertuis/sparse/0"), o);
  ASSERT_EQ(a.frames.size(), 4u);
  ASSERT_EQ(b.frames.size(), 4u);
  EXPECT_EQ(a.points->size(), 1039u);
  EXPECT_EQ(a.camera_model, "SIMPLE_PINHOLE");
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(a.frames[i].name, b.frames[i].name);
    EXPECT_EQ(a.frames[i].image.data, b.frames[i].image.data);
    EXPECT_EQ(a.frames[i].camera.width, 1919 / 8);
    EXPECT_DOUBLE_EQ(a.frames[i].camera.fx, 1847.53 / 8);
  }
}

TEST(Colmap, AllSupportedModelsMapToPinholePlusDistortion) {
  for (const std::string model : {"SIMPLE_PINHOLE", "PINHOLE", "SIMPLE_RADIAL", "RADIAL", "OPENCV", "FULL_OPENCV"}) {
    io::ColmapCamera c;
    c.id = 1;
    c.model = model;
    c.params.assign(size_t(io::colmap_model_param_count(model)), 0.01);
    c.params[0] = 100;
    c.params[1] = 100;
    double fx, fy, cx, cy;
    Distortion d;
    io::colmap_intrinsics(c, "x", fx, fy, cx, cy, d);
    EXPECT_EQ(fx, 100);
    EXPECT_EQ(d.is_zero(), model == "SIMPLE_PINHOLE" || model == "PINHOLE") << model;
  }
  io::ColmapCamera fish;
  fish.model = "OPENCV_FISHEYE";
  fish.params.assign(8, 1.0);
  double f[4];
  Distortion d;
  EXPECT_THROW(io::colmap_intrinsics(fish, "x", f[0], f[1], f[2], f[3], d), InputError);
}

TEST(Colmap, MalformedModelsThrowInputError) {
  const std::string cams = "1 PINHOLE 10 10 5 5 5 5\n";
  const std::string imgs = "1 1 0 0 0 0 0 0 1 a.png\n\n";
  EXPECT_EQ(io::parse_cameras_txt("1 FOV 10 10 1 2 3 4 5\n", "c").at(1).model, "FOV");  // valid COLMAP, unsupported by us
  EXPECT_THROW(io::parse_cameras_txt("1 BANANA 10 10 1 2 3\n", "c"), InputError);
  EXPECT_THROW(io::parse_cameras_txt("1 PINHOLE 10 10 1 2 3\n", "c"), InputError);  // too few params
  EXPECT_THROW(io::parse_cameras_txt("1 PINHOLE 10 10 nan 2 3 4\n", "c"), InputError);
  EXPECT_THROW(io::parse_images_txt("1 0 0 0 0 0 0 0 1 a.png\n\n", "i"), InputError);  // zero quaternion
  EXPECT_THROW(io::parse_images_txt("1 1 0 0 0 0 0 0 1 a.png\n1 2\n", "i"), InputError);
  EXPECT_THROW(io::parse_points3d_txt("1 0 0 0 300 0 0 0.5\n", "p"), InputError);
  EXPECT_THROW(io::parse_points3d_txt("1 0 0 0 3 0 0 0.5 7\n", "p"), InputError);
  std::string bin;
  const uint64_t huge = 1ull << 60;
  bin.append(reinterpret_cast<const char*>(&huge), 8);
  EXPECT_THROW(io::parse_cameras_bin(bin, "c.bin"), InputError);
  EXPECT_THROW(io::parse_images_bin(bin, "i.bin"), InputError);
  EXPECT_THROW(io::parse_points3d_bin(bin, "p.bin"), InputError);
  test::TempDir dir;
  io::ColmapModel m;
  m.cameras = io::parse_cameras_txt(cams, "c");
  m.images = io::parse_images_txt(imgs, "i");
  io::write_colmap_binary(m, dir.path());
  const std::string c = io::read_file(dir / "cameras.bin");
  for (size_t cut : {size_t(3), size_t(12), c.size() - 1})
    EXPECT_THROW(io::parse_cameras_bin(c.substr(0, cut), "c.bin"), InputError) << cut;
  EXPECT_THROW(io::parse_cameras_bin(c + "x", "c.bin"), InputError);
  const std::string i = io::read_file(dir / "images.bin");
  EXPECT_THROW(io::parse_images_bin(i.substr(0, i.size() - 2), "i.bin"), InputError);
  // An image referring to a camera the model does not define.
  m.images[0].camera_id = 7;
  io::write_colmap_binary(m, dir.path());
  EXPECT_THROW(io::read_colmap_model(dir.path()), InputError);
}

}  // namespace
}  // namespace ttgs
