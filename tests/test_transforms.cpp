#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "io/actors_json.hpp"
#include "io/dataset.hpp"
#include "io/image_io.hpp"
#include "io/npy.hpp"
#include "io/ply.hpp"
#include "io/transforms_json.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

// A small nerfstudio dataset: 8x6 images whose pixel values encode the frame index.
void write_dataset(const test::TempDir& dir, int frames, const std::string& extra_top = "",
                   const std::string& extra_frame = "") {
  std::string json = "{\"camera_model\": \"OPENCV\", \"fl_x\": 10, \"fl_y\": 11, \"cx\": 4, \"cy\": 3, \"w\": 8, \"h\": 6" +
                     extra_top + ", \"frames\": [";
  for (int i = 0; i < frames; ++i) {
    Image img(8, 6, 3, float(i) / 16.f);
    test::write_png(dir / ("images/f" + std::to_string(i) + ".png"), img);
    json += std::string(i ? "," : "") + "{\"file_path\": \"images/f" + std::to_string(i) +
            ".png\", \"transform_matrix\": [[1,0,0," + std::to_string(i) + "],[0,1,0,0],[0,0,1,0],[0,0,0,1]]" +
            extra_frame + "}";
  }
  test::write_text(dir / "transforms.json", json + "]}");
}

TEST(Transforms, NerfstudioBasicsAndEveryEighthSplit) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "images");
  write_dataset(dir, 10);
  const io::Dataset ds = io::load_dataset(dir.path(), {});
  ASSERT_EQ(ds.frames.size(), 10u);
  EXPECT_EQ(ds.format, "nerfstudio");
  EXPECT_FALSE(ds.has_distortion);
  EXPECT_EQ(ds.test, (std::vector<size_t>{0, 8}));
  EXPECT_EQ(ds.train.size(), 8u);
  const Camera& c = ds.frames[3].camera;
  EXPECT_EQ(c.fx, 10);
  EXPECT_EQ(c.fy, 11);
  EXPECT_EQ(c.width, 8);
  // Camera 3 sits at x = 3 looking down -z (OpenGL): OpenCV centre (3, 0, 0), world point (3, 0, -2) is ahead.
  EXPECT_NEAR(c.center()[0], 3, 1e-12);
  EXPECT_NEAR(c.world_to_camera({3, 0, -2})[2], 2, 1e-12);
  EXPECT_NEAR(ds.frames[3].image.at(2, 2, 1) / 255.f, 3 / 16.f, 0.5f / 255 + 1e-6f);  // kept as 8-bit
  io::LoadOptions none;
  none.test_every = 0;
  EXPECT_TRUE(io::load_dataset(dir.path(), none).test.empty());
}

TEST(Transforms, PerFrameIntrinsicsMasksDepthPointsAndSplitLists) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "images");
  write_dataset(dir, 3,
                ", \"depth_unit_scale_factor\": 0.01, \"ply_file_path\": \"points.ply\", "
                "\"train_filenames\": [\"images/f0.png\", \"images/f2.png\"], \"test_filenames\": [\"images/f1.png\"]");
  // Frame-level overrides and files, added by editing the JSON.
  std::string json = test::read_text(dir / "transforms.json");
  json.replace(json.find("\"file_path\": \"images/f1.png\""), 28,
               "\"file_path\": \"images/f1.png\", \"fl_x\": 20, \"mask_path\": \"m1.png\", \"depth_file_path\": \"d1.png\"");
  json.replace(json.find("\"file_path\": \"images/f2.png\""), 28,
               "\"file_path\": \"images/f2.png\", \"depth_file_path\": \"d2.npy\"");
  test::write_text(dir / "transforms.json", json);
  Image mask(8, 6, 1, 1.f);
  mask.at(5, 1) = 0.f;
  test::write_png(dir / "m1.png", mask);
  std::vector<uint16_t> depth(48, 250);  // 2.5 m at 0.01 m per unit
  io::write_png16_raw(dir / "d1.png", 8, 6, depth);
  io::write_npy_float32(dir / "d2.npy", Image(8, 6, 1, 4.5f));
  io::write_point_cloud_ply(dir / "points.ply", PointCloud{{0, 0, 0, 1, 1, 1}, {1, 0, 0, 0, 1, 0}});

  const io::Dataset ds = io::load_dataset(dir / "transforms.json", {});
  EXPECT_EQ(ds.train, (std::vector<size_t>{0, 2}));
  EXPECT_EQ(ds.test, (std::vector<size_t>{1}));
  EXPECT_EQ(ds.frames[1].camera.fx, 20);
  EXPECT_EQ(ds.frames[0].camera.fx, 10);
  ASSERT_TRUE(ds.frames[1].mask);
  EXPECT_EQ(ds.frames[1].mask->at(5, 1), 0.f);
  EXPECT_EQ(ds.frames[1].mask->at(4, 1), 255);
  ASSERT_TRUE(ds.frames[1].depth);
  EXPECT_NEAR(ds.frames[1].depth->at(3, 3), 2.5f, 1e-6);
  EXPECT_FLOAT_EQ(ds.frames[2].depth->at(7, 5), 4.5f);
  ASSERT_TRUE(ds.points);
  EXPECT_EQ(ds.points->size(), 2u);
  // Downscale by 2: intrinsics halve, the mask keeps its excluded pixel, depth stays metric.
  io::LoadOptions o;
  o.downscale = 2;
  const io::Dataset half = io::load_dataset(dir.path(), o);
  EXPECT_EQ(half.frames[1].camera.width, 4);
  EXPECT_DOUBLE_EQ(half.frames[1].camera.cx, 2);
  EXPECT_EQ(half.frames[1].mask->at(2, 0), 0.f);
  EXPECT_NEAR(half.frames[1].depth->at(1, 1), 2.5f, 1e-6);
}

TEST(Transforms, InstantNgpAngleAndBlenderNames) {
  test::TempDir dir;
  test::write_png(dir / "train/r_0.png", Image(20, 10, 4, 0.5f));
  test::write_text(dir / "transforms_train.json",
                   "{\"camera_angle_x\": 1.0, \"frames\": [{\"file_path\": \"./train/r_0\", "
                   "\"transform_matrix\": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}]}");
  const io::Dataset ds = io::load_dataset(dir / "transforms_train.json", {});
  ASSERT_EQ(ds.frames.size(), 1u);
  EXPECT_EQ(ds.format, "instant-ngp");
  EXPECT_NEAR(ds.frames[0].camera.fx, 10.0 / std::tan(0.5), 1e-9);
  EXPECT_EQ(ds.frames[0].camera.cx, 10);
  EXPECT_EQ(ds.frames[0].camera.height, 10);
}

TEST(Transforms, RealFoxSkipsMissingFrames) {
  TTGS_REQUIRE_SHARED("fox/transforms.json");
  const io::DatasetSource src = io::read_dataset_source(test::shared_data("fox"));
  EXPECT_EQ(src.num_listed, 67u);
  EXPECT_EQ(src.frames.size(), 50u);
  EXPECT_EQ(src.missing.size(), 17u);
  const io::FrameSource& f = src.frames.front();
  EXPECT_DOUBLE_EQ(f.camera.fx, 1375.52);
  EXPECT_DOUBLE_EQ(f.camera.fy, 1374.49);
  EXPECT_DOUBLE_EQ(f.camera.cx, 554.558);
  EXPECT_DOUBLE_EQ(f.camera.cy, 965.268);
  EXPECT_EQ(f.camera.width, 1080);
  EXPECT_EQ(f.camera.height, 1920);
  EXPECT_DOUBLE_EQ(f.distortion.k1, 0.0578421);
  EXPECT_DOUBLE_EQ(f.distortion.k2, -0.0805099);
  EXPECT_DOUBLE_EQ(f.distortion.p1, -0.000980296);
  EXPECT_DOUBLE_EQ(f.distortion.p2, 0.00015575);
  io::LoadOptions o;
  o.downscale = 8;
  const io::Dataset ds = io::load_dataset(src, o);
  EXPECT_EQ(ds.frames.size(), 50u);
  EXPECT_EQ(ds.num_missing, 17u);
  EXPECT_TRUE(ds.has_distortion);
  EXPECT_EQ(ds.test.size(), 7u);  // every 8th present frame
  EXPECT_EQ(ds.frames[0].image.width, 135);
  EXPECT_EQ(ds.frames[0].image.height, 240);
  // One lens and no mask files: every frame shares the lens's undistortion border mask (one copy for a long log).
  ASSERT_TRUE(ds.frames[0].mask);
  EXPECT_EQ(std::count(ds.frames[0].mask->data.begin(), ds.frames[0].mask->data.end(), 0) > 0, true);
  for (const io::Frame& frame : ds.frames) EXPECT_EQ(frame.mask.get(), ds.frames[0].mask.get()) << frame.name;
}

// Lazy loading: the same frames, their pixels decoded only when asked for, equal to an eager load's to the byte.
TEST(Transforms, LazyFramesDecodeToTheSamePixelsAsAnEagerLoad) {
  test::TempDir dir;
  test::write_random_frames(dir.path(), 3, 40, 30, "\"camera_model\": \"OPENCV\", \"fl_x\": 30, \"fl_y\": 30, "
                            "\"cx\": 20, \"cy\": 15, \"k1\": 0.2", [](int i) {
                              return i == 1 ? ", \"mask_path\": \"m1.png\", \"depth_file_path\": \"d1.npy\"" : "";
                            });
  Image mask(40, 30, 1, 1.f);
  mask.at(20, 11) = 0.f;
  test::write_png(dir / "m1.png", mask);
  io::write_npy_float32(dir / "d1.npy", Image(40, 30, 1, 3.f));
  io::LoadOptions eager_options;
  eager_options.downscale = 2;
  const io::DatasetSource src = io::read_dataset_source(dir.path());
  EXPECT_EQ(io::pixel_bytes(src, eager_options), 3 * 20 * 15 * 3 + 20 * 15 * (1 + 4));  // RGB; frame 1: mask, depth
  io::LoadOptions lazy_options = eager_options;
  lazy_options.lazy_above_bytes = 1000;  // under the 3,000 bytes of the photos
  const io::Dataset eager = io::load_dataset(src, eager_options), lazy = io::load_dataset(src, lazy_options);
  EXPECT_EQ(lazy.pixel_cache_bytes, 1000);
  ASSERT_EQ(lazy.frames.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const io::Frame& e = eager.frames[i];
    ASSERT_TRUE(lazy.frames[i].image.empty() && lazy.frames[i].pixel_source);
    EXPECT_TRUE(io::has_pixels(lazy.frames[i]));
    const io::Frame d = io::with_pixels(lazy.frames[i]);
    EXPECT_EQ(d.camera.width, 20);
    EXPECT_EQ(d.image.data, e.image.data) << i;
    ASSERT_TRUE(d.mask && e.mask);  // the lens's border mask, or frame 1's own
    EXPECT_EQ(d.mask->data, e.mask->data) << i;
    EXPECT_EQ(d.depth.has_value(), e.depth.has_value());
    if (d.depth) {
      EXPECT_EQ(d.depth->data, e.depth->data);
    }
  }
  EXPECT_EQ(io::with_pixels(lazy.frames[1]).mask->at(10, 5), 0);  // frame 1's own masked pixel, downscaled
  EXPECT_EQ(io::with_pixels(lazy.frames[0]).mask.get(), io::with_pixels(lazy.frames[2]).mask.get());  // one lens
  // Under the threshold, or without a threshold: decoded at load as before.
  lazy_options.lazy_above_bytes = 1 << 20;
  EXPECT_FALSE(io::load_dataset(src, lazy_options).frames[0].image.empty());
  // A file that changed after loading: a clear error when the frame is decoded.
  test::write_png(dir / "f2.png", Image(8, 8, 3, 0.5f));
  EXPECT_THROW(io::with_pixels(lazy.frames[2]), InputError);
}

// A time series: 2 cameras x 3 timestamps, a rig block, one LiDAR sweep, an actors.json beside.
void write_time_series(const test::TempDir& dir, const std::string& rig = "") {
  std::filesystem::create_directories(dir / "images");
  std::filesystem::create_directories(dir / "lidar");
  std::string frames;
  for (int t = 0; t < 3; ++t)
    for (const char* cam : {"front", "left"}) {
      const std::string name = "images/t" + std::to_string(t) + "_" + cam + ".png";
      test::write_png(dir / name, Image(8, 6, 3, 0.5f));
      frames += std::string(frames.empty() ? "" : ",") + "{\"file_path\": \"" + name + "\", \"time\": " +
                std::to_string(0.5 * t) + ", \"camera\": \"" + cam +
                "\", \"transform_matrix\": [[1,0,0," + std::to_string(t) + "],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}";
    }
  Image sweep(4, 2, 1);
  for (int c = 0; c < 4; ++c) sweep.at(c, 1) = float(c + 1);
  io::write_npy_float32(dir / "lidar/s1.npy", sweep);
  test::write_text(dir / "transforms.json",
                   "{\"camera_model\": \"PINHOLE\", \"fl_x\": 10, \"cx\": 4, \"cy\": 3, \"w\": 8, \"h\": 6, " + rig +
                       "\"lidar\": [{\"time\": 0.5, \"file_path\": \"lidar/s1.npy\", \"origin\": [1, 0, 2]}], "
                       "\"frames\": [" + frames + "]}");
  test::write_text(dir / "actors.json",
                   R"({"actors": [{"name": "car_7", "class": "car", "box_size": [4, 2, 1.5], "poses": [
                        {"time": 0.0, "transform_matrix": [[1,0,0,5],[0,1,0,0],[0,0,1,0],[0,0,0,1]]},
                        {"time": 0.0, "transform_matrix": [[1,0,0,5],[0,1,0,0],[0,0,1,0],[0,0,0,1]]},
                        {"time": 1.0, "transform_matrix": [[0,-1,0,9],[1,0,0,0],[0,0,1,0],[0,0,0,1]]},
                        {"time": 7.0, "transform_matrix": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}]}]})");
}

TEST(Transforms, TimeSeriesWithCamerasLidarActorsAndTimestampSplit) {
  test::TempDir dir;
  write_time_series(dir);
  io::LoadOptions o;
  o.test_every = 2;  // timestamps 0 and 2, all cameras of each
  const io::Dataset ds = io::load_dataset(dir.path(), o);
  ASSERT_TRUE(ds.is_time_series());
  EXPECT_EQ(ds.timestamps, (std::vector<double>{0.0, 0.5, 1.0}));
  EXPECT_EQ(ds.sensors, (std::vector<std::string>{"front", "left"}));
  EXPECT_EQ(ds.frames[3].time_index, 1);
  EXPECT_EQ(ds.frames[3].sensor, "left");
  EXPECT_EQ(ds.frames[3].sensor_index, 1);
  EXPECT_EQ(ds.test, (std::vector<size_t>{0, 1, 4, 5}));
  EXPECT_EQ(ds.train, (std::vector<size_t>{2, 3}));
  ASSERT_EQ(ds.lidar.size(), 1u);
  EXPECT_EQ(ds.lidar[0].time_index, 1);
  EXPECT_EQ(ds.lidar[0].size(), 2u);
  EXPECT_EQ(ds.lidar[0].points[3], 1.f);
  EXPECT_EQ(ds.lidar[0].intensity, (std::vector<float>{0.f, 4.f}));
  EXPECT_EQ(ds.lidar[0].origin[2], 2.0);
  ASSERT_EQ(ds.actors.size(), 1u);
  const io::ActorTrack& car = ds.actors[0];
  EXPECT_EQ(car.id, "car_7");
  EXPECT_EQ(car.label, "car");
  EXPECT_EQ(car.time_indices, (std::vector<int>{0, 2}));  // the duplicate merged, time 7 not a timestamp
  ASSERT_TRUE(car.pose_at(2));
  EXPECT_NEAR(yaw_of(car.pose_at(2)->rotation), M_PI / 2, 1e-12);
  EXPECT_FALSE(car.pose_at(1));
  io::LoadOptions held;
  held.test_timestamps = std::vector<int>{1};
  EXPECT_EQ(io::load_dataset(dir.path(), held).test, (std::vector<size_t>{2, 3}));
  held.test_timestamps = std::vector<int>{3};
  EXPECT_THROW(io::load_dataset(dir.path(), held), InputError);
  // Actor tracks written and read back are the same.
  io::write_actors_json(dir / "copy.json", ds.actors, ds.timestamps);
  const std::vector<io::ActorTrack> again = io::read_actors_json(dir / "copy.json", ds.timestamps);
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].time_indices, car.time_indices);
  EXPECT_NEAR(again[0].object_to_world[1].translation[0], 9, 1e-12);
}

TEST(Transforms, TimeSeriesErrorsNameTheFile) {
  test::TempDir dir;
  write_time_series(dir, R"("rig": {"sensors": [{"name": "front", "sensor_to_vehicle": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}],
                               "ego_poses": [{"time": 0, "transform_matrix": [[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}]}, )");
  try {
    io::load_dataset(dir.path(), {});
    FAIL() << "a camera outside the rig was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not in the rig"), std::string::npos) << e.what();
  }
  test::write_text(dir / "actors.json", R"({"actors": [{"name": "a", "box_size": [1, 1], "poses": []}]})");
  EXPECT_THROW(io::read_actors_json(dir / "actors.json", {0.0}), InputError);
}

// "masks_exclude" says what the masks hide (a 4D scene model with a sky then trains on every pixel).
TEST(Transforms, MasksExcludeSaysWhatMasksHide) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "images");
  write_dataset(dir, 2);
  EXPECT_FALSE(io::load_dataset(dir.path(), {}).masks_exclude_sky_and_actors);
  write_dataset(dir, 2, R"(, "masks_exclude": ["sky", "actors"])");
  EXPECT_TRUE(io::load_dataset(dir.path(), {}).masks_exclude_sky_and_actors);
  for (const std::string bad : {R"(, "masks_exclude": "sky")", R"(, "masks_exclude": [])", R"(, "masks_exclude": ["trees"])"}) {
    write_dataset(dir, 2, bad);
    EXPECT_THROW(io::load_dataset(dir.path(), {}), InputError) << bad;
  }
}

TEST(Transforms, MalformedJsonThrowsInputError) {
  const std::string m = "[[1,0,0,0],[0,1,0,0],[0,0,1,0],[0,0,0,1]]";
  for (const std::string& bad : {
           std::string("{"), std::string("[]"), std::string("{\"frames\": []}"), std::string("{\"fl_x\": 1}"),
           "{\"fl_x\": \"ten\", \"frames\": [{\"file_path\": \"a.png\", \"transform_matrix\": " + m + "}]}",
           std::string("{\"fl_x\": 1, \"frames\": [{\"file_path\": \"a.png\", \"transform_matrix\": [[1,0],[0,1]]}]}"),
           std::string("{\"fl_x\": 1, \"frames\": [{\"file_path\": \"a.png\", \"transform_matrix\": "
                       "[[0,0,0,0],[0,0,0,0],[0,0,0,0],[0,0,0,1]]}]}"),
           "{\"camera_model\": \"OPENCV_FISHEYE\", \"fl_x\": 1, \"frames\": [{\"file_path\": \"a.png\", \"transform_matrix\": " + m + "}]}",
           "{\"fl_x\": 1, \"frames\": [{\"transform_matrix\": " + m + "}]}",
           std::string("{\"fl_x\": 1, \"frames\": [{\"file_path\": \"a.png\"}]}"),
       })
    EXPECT_THROW(io::parse_transforms_json(bad, "/nonexistent/transforms.json"), InputError) << bad;
}

}  // namespace
}  // namespace ttgs
