// TRI DGP scenes (io/dgp) on the real sample driving_dgp/scene_01, and .npz archives (io/npz).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>

#include "core/error.hpp"
#include "io/dataset.hpp"
#include "io/dgp.hpp"
#include "io/file_util.hpp"
#include "io/npz.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

const char* kScene = "driving_dgp/scene_01";
const char* kSceneJson = "scene_a8dc5ed1da0923563f85ea129f0e0a83e7fe1867.json";

const io::DatasetSource& sample_source() {
  static const io::DatasetSource src = io::read_dgp_source(test::shared_data(kScene));
  return src;
}

Pose camera_pose(const Camera& c) { return Pose::from_matrix(c.camera_to_world_opencv()); }

double angle_deg(const Mat3& a, const Mat3& b) {
  const Mat3 d = transpose(a) * b;
  const double c = std::clamp((d[0][0] + d[1][1] + d[2][2] - 1) / 2, -1.0, 1.0);
  return std::acos(c) * 180 / M_PI;
}

// The frame of `sensor` at timestamp index k.
const io::FrameSource& frame_of(const io::DatasetSource& src, const std::string& sensor, int k) {
  for (const auto& f : src.frames)
    if (f.sensor == sensor && std::abs(*f.time - src.timestamps[size_t(k)]) < 1e-6) return f;
  throw std::runtime_error("no frame of " + sensor);
}

TEST(Dgp, ReadsTheSampleScene) {
  TTGS_REQUIRE_SHARED(kScene);
  const io::DatasetSource& src = sample_source();
  EXPECT_EQ(src.format, "dgp");
  ASSERT_EQ(src.frames.size(), 9u);
  ASSERT_TRUE(src.rig.has_value());
  EXPECT_EQ(src.rig->sensors, (std::vector<std::string>{"CAMERA_01", "CAMERA_05", "CAMERA_06"}));
  ASSERT_EQ(src.timestamps.size(), 3u);
  EXPECT_EQ(src.timestamps[0], 0.0);
  for (size_t k = 1; k < 3; ++k) EXPECT_NEAR(src.timestamps[k] - src.timestamps[k - 1], 0.1, 1e-3);
  for (const auto& f : src.frames) {
    EXPECT_EQ(f.camera.width, 1936);
    EXPECT_EQ(f.camera.height, 1216);
    EXPECT_EQ(f.camera_model, "PINHOLE");
    EXPECT_TRUE(f.distortion.is_zero());
    EXPECT_TRUE(io::file_exists(f.image_path)) << f.image_path;
    EXPECT_EQ(f.name.rfind("rgb/" + f.sensor + "/", 0), 0u) << f.name;
  }
  const Camera& front = frame_of(src, "CAMERA_01", 0).camera;
  EXPECT_NEAR(front.fx, 2167.69, 0.01);
  EXPECT_NEAR(front.cy, 604.99, 0.01);
  EXPECT_EQ(src.lidar.size(), 3u);
  // The scene JSON itself and read_dataset_source find the same scene.
  EXPECT_EQ(io::read_dgp_source(test::shared_data(kScene) + "/" + kSceneJson).frames.size(), 9u);
  EXPECT_EQ(io::read_dataset_source(test::shared_data(kScene)).format, "dgp");
  EXPECT_TRUE(io::is_dgp_scene(test::shared_data(kScene)));
  EXPECT_FALSE(io::is_dgp_scene(test::shared_data(kScene) + "/calibration"));
}

TEST(Dgp, RigReproducesEveryCameraPose) {
  TTGS_REQUIRE_SHARED(kScene);
  const io::DatasetSource& src = sample_source();
  const io::Rig& rig = *src.rig;
  double max_mm = 0, max_deg = 0;
  for (const auto& f : src.frames) {
    const int k = int(std::find(src.timestamps.begin(), src.timestamps.end(), *f.time) - src.timestamps.begin());
    const size_t s = size_t(std::find(rig.sensors.begin(), rig.sensors.end(), f.sensor) - rig.sensors.begin());
    ASSERT_LT(size_t(k), src.timestamps.size());
    ASSERT_LT(s, rig.sensors.size());
    const Pose from_rig = rig.vehicle_to_world[size_t(k)].compose(rig.sensor_to_vehicle[s]);
    const Pose own = camera_pose(f.camera);
    max_mm = std::max(max_mm, 1000 * norm(from_rig.translation - own.translation));
    max_deg = std::max(max_deg, angle_deg(from_rig.rotation, own.rotation));
  }
  EXPECT_LT(max_mm, 1.0);
  EXPECT_LT(max_deg, 0.01);
  RecordProperty("max_rig_discrepancy_mm", std::to_string(max_mm));
  RecordProperty("max_rig_discrepancy_deg", std::to_string(max_deg));
  // DGP cameras are OpenCV-oriented: image down (+y) is world down, the front camera looks along the vehicle's x.
  const Mat3& r = camera_pose(frame_of(src, "CAMERA_01", 0).camera).rotation;
  EXPECT_LT(r[2][1], -0.99);
  const Mat3& v = rig.vehicle_to_world[0].rotation;
  EXPECT_GT(r[0][2] * v[0][0] + r[1][2] * v[1][0] + r[2][2] * v[2][0], 0.99);
}

TEST(Dgp, LidarLandsInTheFrontCamera) {
  TTGS_REQUIRE_SHARED(kScene);
  const io::DatasetSource& src = sample_source();
  for (const io::LidarSweep& sweep : src.lidar) {
    const Camera& cam = frame_of(src, "CAMERA_01", sweep.time_index).camera;
    EXPECT_LT(norm(sweep.origin - cam.center()), 3.0);  // the LiDAR rides on the same car
    size_t inside = 0, low = 0, low_below = 0;
    double max_depth = 0, min_depth = 1e9;
    for (size_t i = 0; i < sweep.size(); ++i) {
      const Vec3 p{sweep.points[3 * i], sweep.points[3 * i + 1], sweep.points[3 * i + 2]};
      const Vec3 c = cam.world_to_camera(p);
      if (c[2] <= 0.1) continue;
      const auto px = cam.project(p);
      if (px[0] < 0 || px[1] < 0 || px[0] >= cam.width || px[1] >= cam.height) continue;
      ++inside;
      max_depth = std::max(max_depth, c[2]);
      min_depth = std::min(min_depth, c[2]);
      if (px[1] > 0.75 * cam.height) {  // the bottom quarter of the image sees the road, below the camera
        ++low;
        low_below += p[2] < cam.center()[2] ? 1 : 0;
      }
    }
    EXPECT_GT(inside, 1000u);
    EXPECT_GT(min_depth, 0.0);
    EXPECT_LT(max_depth, 250.0);  // the farthest returns in view lie at about 226 m
    ASSERT_GT(low, 100u);
    EXPECT_GT(double(low_below) / double(low), 0.95);
    EXPECT_EQ(sweep.intensity.size(), sweep.size());
  }
}

// The world-frame returns that fall inside a box (size: length x, width y, height z) placed at box_to_world.
size_t returns_in_box(const io::LidarSweep& sweep, const Pose& box_to_world, const Vec3& size) {
  const Pose to_box = box_to_world.inverse();
  size_t n = 0;
  for (size_t i = 0; i < sweep.size(); ++i) {
    const Vec3 q = to_box.apply({sweep.points[3 * i], sweep.points[3 * i + 1], sweep.points[3 * i + 2]});
    n += std::abs(q[0]) <= size[0] / 2 && std::abs(q[1]) <= size[1] / 2 && std::abs(q[2]) <= size[2] / 2;
  }
  return n;
}

TEST(Dgp, BoxesTrackInstancesAndHoldTheirReturns) {
  TTGS_REQUIRE_SHARED(kScene);
  const io::DatasetSource& src = sample_source();
  const std::string root = test::shared_data(kScene);
  const auto classes = io::read_dgp_ontology(root + "/ontology/16322f7584a52ca979ed1c7049f17a7e420e86b1.json");
  EXPECT_EQ(classes.at(2), "Car");
  std::map<std::string, const io::ActorTrack*> by_id;
  for (const auto& t : src.actors) {
    by_id[t.id] = &t;
    EXPECT_TRUE(std::is_sorted(t.time_indices.begin(), t.time_indices.end()));
  }
  EXPECT_EQ(by_id.size(), src.actors.size());
  const char* files[] = {"15569195938203752", "15569195939203480", "15569195940203574"};
  double worst_size = 0;
  for (int k = 0; k < 3; ++k) {
    const auto boxes = io::read_dgp_boxes(root + "/bounding_box_3d/LIDAR/" + files[k] + ".json", classes);
    EXPECT_GE(boxes.size(), 90u);
    EXPECT_LE(boxes.size(), 100u);
    size_t tracked = 0;
    for (const auto& t : src.actors) tracked += t.pose_at(k).has_value();
    EXPECT_EQ(tracked, boxes.size());
    // Well-sampled boxes hold the sweep's returns on their car; the same box turned 90° (length along y) or moved
    // one length forward holds far fewer. (DGP's num_points were counted on a denser cloud than the stored sweep.)
    size_t right = 0, turned = 0, moved = 0;
    const io::LidarSweep& sweep = src.lidar[size_t(k)];
    for (const io::DgpBox& b : boxes) {
      const io::ActorTrack& t = *by_id.at(b.instance_id);
      EXPECT_EQ(t.label, b.label);
      worst_size = std::max(worst_size, norm(t.size - b.size));
      if (b.num_points < 200) continue;
      const Pose pose = *t.pose_at(k);
      const size_t n = returns_in_box(sweep, pose, t.size);
      EXPECT_GE(n, 10u) << "instance " << b.instance_id << " at " << k;
      right += n;
      turned += returns_in_box(sweep, pose, {t.size[1], t.size[0], t.size[2]});
      Pose ahead;
      ahead.translation = {t.size[0], 0, 0};
      moved += returns_in_box(sweep, pose.compose(ahead), t.size);
    }
    EXPECT_GT(right, 5000u);
    EXPECT_GT(right, 2 * turned);
    EXPECT_GT(right, 5 * moved);
  }
  EXPECT_LT(worst_size, 0.05);
  RecordProperty("tracks", std::to_string(src.actors.size()));
}

TEST(Dgp, RecentredNearTheOrigin) {
  TTGS_REQUIRE_SHARED(kScene);
  const io::DatasetSource& src = sample_source();
  EXPECT_GT(norm(src.world_offset), 300.0);  // the log's own coordinates are hundreds of metres out
  for (double v : src.world_offset) EXPECT_EQ(v, std::round(v));
  for (const Pose& v : src.rig->vehicle_to_world) EXPECT_LT(norm(v.translation), 50.0);
  for (const auto& f : src.frames) EXPECT_LT(norm(f.camera.center()), 50.0);
  ASSERT_TRUE(src.points.has_value());
  size_t total = 0;
  for (const auto& s : src.lidar) total += s.size();
  EXPECT_EQ(src.points->size(), total);
  EXPECT_EQ(src.points->colors.size(), 3 * total);
  float far = 0;
  for (float v : src.points->positions) far = std::max(far, std::abs(v));
  EXPECT_LT(far, 300.f);
}

TEST(Dgp, LoadsAsATimeSeries) {
  TTGS_REQUIRE_SHARED(kScene);
  io::LoadOptions opt;
  opt.load_pixels = false;
  const io::Dataset ds = io::load_dataset(test::shared_data(kScene), opt);
  EXPECT_EQ(ds.format, "dgp");
  EXPECT_TRUE(ds.is_time_series());
  EXPECT_EQ(ds.timestamps.size(), 3u);
  EXPECT_EQ(ds.sensors.size(), 3u);
  EXPECT_EQ(ds.lidar.size(), 3u);
  EXPECT_EQ(ds.world_offset, sample_source().world_offset);
  EXPECT_EQ(ds.actors.size(), sample_source().actors.size());
  for (const io::Frame& f : ds.frames) EXPECT_EQ(ds.sensors[size_t(f.sensor_index)], f.sensor);
  EXPECT_EQ(ds.frames[3].time_index, 1);
}

// A scene folder whose scene JSON is `json` and whose other folders are the sample's (linked, not copied).
void linked_scene(const test::TempDir& dir, const std::string& json) {
  const std::string root = test::shared_data(kScene);
  for (const char* sub : {"calibration", "ontology", "point_cloud", "bounding_box_3d", "rgb"})
    std::filesystem::create_directory_symlink(root + "/" + sub, dir / sub);
  test::write_text(dir / "scene_test.json", json);
}

TEST(Dgp, MissingImageNamesTheFile) {
  TTGS_REQUIRE_SHARED(kScene);
  std::string json = test::read_text(test::shared_data(kScene) + "/" + kSceneJson);
  const std::string name = "rgb/CAMERA_05/15569195939415230.jpg";
  json.replace(json.find(name), name.size(), "rgb/CAMERA_05/missing.jpg");
  test::TempDir dir;
  linked_scene(dir, json);
  try {
    io::read_dataset_source(dir.path());
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), dir / "rgb/CAMERA_05/missing.jpg");
    EXPECT_NE(e.message().find("scene_test.json"), std::string::npos) << e.message();
  }
}

TEST(Dgp, MalformedJsonNamesTheFile) {
  TTGS_REQUIRE_SHARED(kScene);
  test::TempDir dir;
  linked_scene(dir, "{\"data\": [");
  try {
    io::read_dataset_source(dir.path());
    FAIL() << "expected an InputError";
  } catch (const InputError& e) {
    EXPECT_EQ(e.path(), dir / "scene_test.json");
    EXPECT_NE(e.message().find("invalid JSON"), std::string::npos) << e.message();
  }
  test::TempDir bad_box;
  std::string json = test::read_text(test::shared_data(kScene) + "/" + kSceneJson);
  const std::string box = "bounding_box_3d/LIDAR/15569195939203480.json";
  json.replace(json.find(box), box.size(), "broken_box.json");
  linked_scene(bad_box, json);
  test::write_text(bad_box / "broken_box.json", "{\"annotations\": [{\"box\": {\"width\": -1}}]}");
  EXPECT_THROW(io::read_dgp_source(bad_box.path()), InputError);
}

// A zip of stored (uncompressed) members, as np.savez writes them.
uint32_t crc32_of(const std::string& s) {
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : s) {
    c ^= b;
    for (int i = 0; i < 8; ++i) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

std::string le_bytes(uint64_t v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(char((v >> (8 * i)) & 0xFF));
  return s;
}

std::string stored_zip(const std::vector<std::pair<std::string, std::string>>& members) {
  std::string body, dir;
  for (const auto& [name, data] : members) {
    const std::string common = le_bytes(0, 2) + le_bytes(0, 2) + le_bytes(0, 4) + le_bytes(crc32_of(data), 4) +
                               le_bytes(data.size(), 4) + le_bytes(data.size(), 4) + le_bytes(name.size(), 2) +
                               le_bytes(0, 2);
    dir += le_bytes(0x02014b50, 4) + le_bytes(20, 2) + le_bytes(20, 2) + common + le_bytes(0, 2) + le_bytes(0, 2) +
           le_bytes(0, 2) + le_bytes(0, 4) + le_bytes(body.size(), 4) + name;
    body += le_bytes(0x04034b50, 4) + le_bytes(20, 2) + common + name + data;
  }
  return body + dir + le_bytes(0x06054b50, 4) + le_bytes(0, 4) + le_bytes(members.size(), 2) +
         le_bytes(members.size(), 2) + le_bytes(dir.size(), 4) + le_bytes(body.size(), 4) + le_bytes(0, 2);
}

std::string npy(const std::string& descr, const std::string& shape, const std::string& data) {
  std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  return std::string("\x93NUMPY\x01\x00", 8) + le_bytes(header.size(), 2) + header + data;
}

TEST(Npz, ReadsStoredArraysOfSeveralDtypes) {
  const float f[6] = {1.5f, -2, 3, 4, 5, 6.25f};
  const std::string a = npy("<f4", "(2, 3)", std::string(reinterpret_cast<const char*>(f), sizeof f));
  const std::string b = npy(">i2", "(3,)", std::string("\x00\x01\xff\xfe\x00\x07", 6));
  test::TempDir dir;
  test::write_text(dir / "x.npz", stored_zip({{"data.npy", a}, {"ids.npy", b}}));
  const io::NpyArray x = io::read_npz_array(dir / "x.npz", "data");
  EXPECT_EQ(x.shape, (std::vector<size_t>{2, 3}));
  EXPECT_EQ(x.columns(), 3u);
  EXPECT_EQ(x.values, (std::vector<double>{1.5, -2, 3, 4, 5, 6.25}));
  EXPECT_EQ(io::read_npz_array(dir / "x.npz", "ids").values, (std::vector<double>{1, -2, 7}));
  EXPECT_THROW(io::read_npz_array(dir / "x.npz", "nothing"), InputError);
  std::string corrupt = stored_zip({{"data.npy", a}});
  corrupt[60] ^= 0x40;  // inside the member: the CRC no longer matches
  test::write_text(dir / "bad.npz", corrupt);
  EXPECT_THROW(io::read_npz_array(dir / "bad.npz", "data"), InputError);
  test::write_text(dir / "short.npz", corrupt.substr(0, 40));
  EXPECT_THROW(io::read_npz_array(dir / "short.npz", "data"), InputError);
  const std::string structured = "{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (1,), }";
  EXPECT_THROW(io::parse_npy_array(
                   std::string("\x93NUMPY\x01\x00", 8) + le_bytes(structured.size(), 2) + structured + "abcd", "s"),
               InputError);
}

TEST(Npz, ReadsTheSampleSweep) {
  TTGS_REQUIRE_SHARED(kScene);
  const io::NpyArray a =
      io::read_npz_array(test::shared_data(kScene) + "/point_cloud/LIDAR/15569195938203752.npz", "data");
  ASSERT_EQ(a.shape.size(), 2u);
  EXPECT_EQ(a.shape[1], 4u);
  EXPECT_EQ(a.rows(), 40733u);
}

}  // namespace
}  // namespace ttgs
