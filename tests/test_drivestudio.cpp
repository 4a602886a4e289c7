// drivestudio's processed layout (io/drivestudio, synth/drivestudio_writer): `ttgs synth --layout drivestudio`
// read back agrees with the nerfstudio layout of the same scene; malformed files are InputErrors naming them.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/error.hpp"
#include "io/actors_json.hpp"
#include "io/dataset.hpp"
#include "io/drivestudio.hpp"
#include "io/file_util.hpp"
#include "io/image_io.hpp"
#include "io/info.hpp"
#include "synth/writer.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {
namespace fs = std::filesystem;

synth::SynthOptions street(const std::string& layout) {
  synth::SynthOptions o;
  o.preset = "street";
  o.seed = 5;
  o.views = 4;
  o.cameras = 2;
  o.novel = 2;
  o.width = 64;
  o.height = 48;
  o.supersample = 1;
  o.scaffold.points = 500;
  o.scaffold.lidar = true;
  o.layout = layout;
  return o;
}

// One street scene written in both layouts (removed at exit).
struct Written {
  test::TempDir dir;
  std::string nerfstudio = dir / "nerfstudio", drivestudio = dir / "drivestudio";
  Written() {
    synth::write_synth_dataset(street("nerfstudio"), nerfstudio);
    synth::write_synth_dataset(street("drivestudio"), drivestudio);
  }
};
const Written& written() {
  static const Written w;
  return w;
}

io::Dataset load(const std::string& path) { return io::load_dataset(path, io::LoadOptions{}); }

// The frame of `sensor` at `time`, or nullptr.
const io::Frame* frame_at(const io::Dataset& ds, const std::string& sensor, double time) {
  for (const io::Frame& f : ds.frames)
    if (f.sensor == sensor && std::abs(f.time - time) < 1e-9) return &f;
  return nullptr;
}

void expect_same_pose(const Pose& a, const Pose& b, double tolerance, const std::string& what) {
  for (int r = 0; r < 3; ++r) {
    EXPECT_NEAR(a.translation[size_t(r)], b.translation[size_t(r)], tolerance) << what;
    for (int c = 0; c < 3; ++c)
      EXPECT_NEAR(a.rotation[size_t(r)][size_t(c)], b.rotation[size_t(r)][size_t(c)], 1e-12) << what;
  }
}

Pose camera_pose(const Camera& c) { return Pose::from_matrix(c.camera_to_world_opencv()); }
Pose moved_by(Pose p, const Vec3& offset) {
  p.translation = p.translation + offset;
  return p;
}

double mean_abs_difference(const Image& a, const Image& b) {
  double sum = 0;
  for (size_t i = 0; i < a.data.size(); ++i) sum += std::abs(a.data[i] - b.data[i]);
  return sum / double(a.data.size());
}

TEST(Drivestudio, WritesTheLayout) {
  const std::string& d = written().drivestudio;
  for (const char* rel :
       {"images/000_0.jpg", "images/003_1.jpg", "extrinsics/0.txt", "extrinsics/1.txt", "intrinsics/1.txt",
        "ego_pose/000.txt", "ego_pose/003.txt", "lidar/003.bin", "sky_masks/002_1.png", "dynamic_masks/all/002_1.png",
        "dynamic_masks/human/002_1.png", "dynamic_masks/vehicle/002_1.png", "instances/instances_info.json",
        "instances/frame_instances.json", "synth.json"})
    EXPECT_TRUE(io::file_exists(d + "/" + rel)) << rel;
  // Training timestamps only: no frame 4 (the novel views lie between frames or off the rig).
  EXPECT_FALSE(io::file_exists(d + "/ego_pose/004.txt"));
  EXPECT_FALSE(io::file_exists(d + "/extrinsics/2.txt"));
  const std::string intrinsics = test::read_text(d + "/intrinsics/0.txt");
  EXPECT_EQ(std::count(intrinsics.begin(), intrinsics.end(), '\n'), 9);  // fx fy cx cy k1 k2 p1 p2 k3
  EXPECT_EQ(fs::file_size(d + "/lidar/000.bin") % (io::kDrivestudioLidarFloats * sizeof(float)), 0u);
  EXPECT_TRUE(io::is_drivestudio_scene(d));
  EXPECT_FALSE(io::is_drivestudio_scene(written().nerfstudio));
  EXPECT_EQ(io::read_dataset_source(d).format, "drivestudio");
}

// Cameras, rig, timestamps, masks, LiDAR and tracks read from the drivestudio layout agree with the nerfstudio
// layout of the same scene at its training timestamps.
TEST(Drivestudio, RoundTripAgreesWithTheNerfstudioLayout) {
  const io::Dataset ns = load(written().nerfstudio), ds = load(written().drivestudio);
  EXPECT_EQ(ds.format, "drivestudio");
  ASSERT_TRUE(ds.rig && ns.rig);
  EXPECT_EQ(ds.sensors, (std::vector<std::string>{"0", "1"}));
  EXPECT_EQ(ds.world_offset, (Vec3{0, 0, 0}));  // near the origin: not recentred
  EXPECT_TRUE(ds.masks_exclude_sky_and_actors);
  ASSERT_EQ(ds.timestamps.size(), 4u);
  ASSERT_EQ(ds.frames.size(), 8u);
  for (size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(ds.timestamps[k], k * 0.1);
    const int nk = io::timestamp_index(ns.timestamps, ds.timestamps[k]);
    ASSERT_GE(nk, 0);
    expect_same_pose(ds.rig->vehicle_to_world[k], ns.rig->vehicle_to_world[size_t(nk)], 1e-12, "ego pose");
  }
  for (size_t c = 0; c < 2; ++c)
    expect_same_pose(ds.rig->sensor_to_vehicle[c], ns.rig->sensor_to_vehicle[c], 1e-12, "extrinsics");
  double worst_image = 0, worst_lidar = 0;
  for (const io::Frame& f : ds.frames) {
    const io::Frame* n = frame_at(ns, ns.sensors[size_t(f.sensor_index)], f.time);
    ASSERT_TRUE(n) << f.name;
    EXPECT_EQ(f.name, "images/" + io::drivestudio_image_stem(f.time_index, f.sensor_index) + ".jpg");
    EXPECT_EQ(f.camera.width, n->camera.width);
    EXPECT_EQ(f.camera.height, n->camera.height);
    const std::pair<double, double> intrinsics[] = {{f.camera.fx, n->camera.fx},
                                                    {f.camera.fy, n->camera.fy},
                                                    {f.camera.cx, n->camera.cx},
                                                    {f.camera.cy, n->camera.cy}};
    for (const auto& [a, b] : intrinsics) EXPECT_NEAR(a, b, 1e-12) << f.name;
    expect_same_pose(camera_pose(f.camera), camera_pose(n->camera), 1e-12, f.name);
    ASSERT_TRUE(f.mask && n->mask) << f.name;
    EXPECT_EQ(f.mask->data, n->mask->data) << f.name << ": sky + dynamic masks = the static-surface mask";
    worst_image = std::max(worst_image, mean_abs_difference(to_float(f.image), to_float(n->image)));
    EXPECT_LT(mean_abs_difference(to_float(f.image), to_float(n->image)), 0.02) << f.name << ": JPEG of the same rendering";
  }
  ASSERT_EQ(ds.lidar.size(), 4u);
  size_t returns = 0;
  for (const io::LidarSweep& s : ds.lidar) {
    const auto n_it = std::find_if(ns.lidar.begin(), ns.lidar.end(),
                                   [&](const io::LidarSweep& n) { return std::abs(n.time - s.time) < 1e-9; });
    ASSERT_NE(n_it, ns.lidar.end());
    const io::LidarSweep& n = *n_it;
    ASSERT_EQ(s.size(), n.size());
    EXPECT_EQ(s.intensity, n.intensity);
    for (size_t i = 0; i < s.points.size(); ++i) {
      ASSERT_NEAR(s.points[i], n.points[i], 2e-5) << "return " << i / 3;
      worst_lidar = std::max(worst_lidar, double(std::abs(s.points[i] - n.points[i])));
    }
    for (size_t a = 0; a < 3; ++a) EXPECT_NEAR(s.origin[a], n.origin[a], 1e-6);
    returns += s.size();
  }
  std::printf("drivestudio vs nerfstudio: worst mean |JPEG - PNG| %.4f, worst LiDAR coordinate %.2g m (%zu returns)\n",
              worst_image, worst_lidar, returns);
  ASSERT_TRUE(ds.points);
  EXPECT_EQ(ds.points->size(), returns);
  ASSERT_EQ(ds.actors.size(), ns.actors.size());
  for (size_t a = 0; a < ds.actors.size(); ++a) {
    const io::ActorTrack &t = ds.actors[a], &n = ns.actors[a];
    EXPECT_EQ(t.id, n.id);
    EXPECT_EQ(t.label, "Vehicle");
    for (size_t i = 0; i < 3; ++i) EXPECT_NEAR(t.size[i], n.size[i], 1e-12);
    ASSERT_EQ(t.time_indices, (std::vector<int>{0, 1, 2, 3}));
    for (int k : t.time_indices) {
      const std::optional<Pose> np = n.pose_at(io::timestamp_index(ns.timestamps, ds.timestamps[size_t(k)]));
      ASSERT_TRUE(np);
      expect_same_pose(*t.pose_at(k), *np, 1e-12, t.id);
    }
  }
}

TEST(Drivestudio, InfoReportsTheTimeSeries) {
  const nlohmann::json j = nlohmann::json::parse(io::dataset_info(written().drivestudio, io::LoadOptions{}).json);
  EXPECT_EQ(j["format"], "drivestudio");
  EXPECT_EQ(j["num_images"], 8);
  EXPECT_EQ(j["num_timestamps"], 4);
  EXPECT_EQ(j["num_cameras"], 2);
  EXPECT_EQ(j["num_actors"], load(written().nerfstudio).actors.size());
  EXPECT_EQ(j["num_lidar_sweeps"], 4);
  EXPECT_NEAR(j["time_span_s"].get<double>(), 0.3, 1e-12);
  EXPECT_NEAR(j["ego_path_length"].get<double>(), 3 * 0.8, 1e-9);  // 8 m/s
}

// A copy of the written drivestudio scene to damage.
struct Copy {
  test::TempDir dir;
  std::string path = dir / "scene";
  Copy() { fs::copy(written().drivestudio, path, fs::copy_options::recursive); }
  std::string operator/(const std::string& rel) const { return path + "/" + rel; }
};

// Rewrites the 4x4 matrix text of `file` with `change` applied.
void edit_matrix_file(const std::string& file, const std::function<void(Mat4&)>& change) {
  std::istringstream in(test::read_text(file));
  Mat4 m{};
  for (auto& row : m)
    for (double& v : row) in >> v;
  change(m);
  test::write_text(file, io::drivestudio_matrix_text(m));
}

TEST(Drivestudio, AcceptsPngImages) {
  const Copy c;
  const std::string jpg = c / "images/001_1.jpg";
  test::write_png(c / "images/001_1.png", io::read_rgb_image(jpg, std::array<float, 3>{0, 0, 0}.data()));
  fs::remove(jpg);
  const io::Dataset ds = load(c.path);
  const auto it = std::find_if(ds.frames.begin(), ds.frames.end(),
                               [](const io::Frame& f) { return f.time_index == 1 && f.sensor_index == 1; });
  ASSERT_NE(it, ds.frames.end());
  EXPECT_EQ(it->name, "images/001_1.png");
}

// Waymo's intrinsics carry OpenCV distortion (k1 k2 p1 p2 k3): read in that order and removed on load.
TEST(Drivestudio, ReadsLensDistortion) {
  const Copy c;
  std::istringstream in(test::read_text(c / "intrinsics/0.txt"));
  std::vector<double> v(9);
  for (double& x : v) in >> x;
  v[4] = -0.05, v[5] = 0.01, v[6] = 1e-3, v[7] = -2e-3, v[8] = 1e-4;
  test::write_text(c / "intrinsics/0.txt", io::drivestudio_numbers_text(v));
  const io::DatasetSource src = io::read_dataset_source(c.path);
  const Distortion& d = src.frames[0].distortion;
  EXPECT_EQ(src.frames[0].camera_model, "FULL_OPENCV");
  EXPECT_EQ((std::array<double, 5>{d.k1, d.k2, d.p1, d.p2, d.k3}),
            (std::array<double, 5>{-0.05, 0.01, 1e-3, -2e-3, 1e-4}));
  EXPECT_TRUE(src.frames[1].distortion.is_zero());
  EXPECT_TRUE(load(c.path).has_distortion);
}

// Far from the origin (Waymo's global frame), the world is recentred on the first ego position: what is read
// matches the unshifted scene to float precision once the offset is added back.
TEST(Drivestudio, RecentresFarCoordinates) {
  const Copy c;
  const Vec3 far{4123456.0, -321000.0, 52.0};
  for (int t = 0; t < 4; ++t)
    edit_matrix_file(c / ("ego_pose/" + io::drivestudio_frame_name(t) + ".txt"), [&](Mat4& m) {
      for (size_t a = 0; a < 3; ++a) m[a][3] += far[a];
    });
  nlohmann::json info = nlohmann::json::parse(test::read_text(c / "instances/instances_info.json"));
  for (auto& [key, instance] : info.items())
    for (auto& m : instance["frame_annotations"]["obj_to_world"])
      for (size_t a = 0; a < 3; ++a) m[a][3] = m[a][3].get<double>() + far[a];
  test::write_text(c / "instances/instances_info.json", info.dump());
  const io::Dataset original = load(written().drivestudio), moved = load(c.path);
  // Both are relative to their first ego position: (0, -2, 0) apart, as the original is not recentred.
  const Vec3 first = original.rig->vehicle_to_world[0].translation;
  EXPECT_EQ(moved.world_offset, far + first);
  for (size_t i = 0; i < original.frames.size(); ++i)
    expect_same_pose(moved_by(camera_pose(moved.frames[i].camera), first), camera_pose(original.frames[i].camera), 1e-6,
                     original.frames[i].name);
  for (size_t k = 0; k < 4; ++k)
    for (size_t i = 0; i < original.lidar[k].points.size(); ++i)
      ASSERT_NEAR(moved.lidar[k].points[i] + first[i % 3], original.lidar[k].points[i], 2e-5);
  for (size_t a = 0; a < original.actors.size(); ++a)
    expect_same_pose(moved_by(moved.actors[a].object_to_world[2], first), original.actors[a].object_to_world[2], 1e-6,
                     original.actors[a].id);
}

// Each damaged or missing file is an InputError naming it.
TEST(Drivestudio, MalformedFilesAreInputErrorsNamingThem) {
  struct Case {
    const char* file;
    std::function<void(const std::string&)> damage;
  };
  const Case cases[] = {
      {"ego_pose/001.txt", [](const std::string& f) { test::write_text(f, "1 0 0\n0 1 0\n"); }},
      {"ego_pose/002.txt", [](const std::string& f) { test::write_text(f, test::read_text(f) + "x"); }},
      {"extrinsics/1.txt", [](const std::string& f) { edit_matrix_file(f, [](Mat4& m) { m[0][0] *= 2; }); }},
      {"extrinsics/0.txt", [](const std::string& f) { edit_matrix_file(f, [](Mat4& m) { m[3][3] = 0; }); }},
      {"extrinsics/000_0.txt",  // drivestudio's nuScenes layout: per-frame camera poses
       [](const std::string& f) { fs::copy_file(fs::path(f).parent_path() / "0.txt", f); }},
      {"intrinsics/1.txt", [](const std::string& f) { test::write_text(f, "100\n100\nnan\n"); }},
      {"lidar/002.bin", [](const std::string& f) { test::write_text(f, test::read_text(f).substr(3)); }},
      {"images/003_1.jpg", [](const std::string& f) { fs::remove(f); }},
      {"images/000_0.jpg", [](const std::string& f) { test::write_text(f, "not a JPEG"); }},
      {"sky_masks/002_0.png", [](const std::string& f) { fs::remove(f); }},
      {"dynamic_masks/all/001_1.png", [](const std::string& f) { test::write_text(f, ""); }},
      {"instances/instances_info.json", [](const std::string& f) { test::write_text(f, "{\"0\": {"); }},
      {"instances/instances_info.json",
       [](const std::string& f) {
         nlohmann::json info = nlohmann::json::parse(test::read_text(f));
         info["1"].erase("frame_annotations");
         test::write_text(f, info.dump());
       }},
      {"instances/frame_instances.json", [](const std::string& f) { test::write_text(f, "{\"0\": [99]}"); }},
  };
  for (const Case& k : cases) {
    const Copy c;
    k.damage(c / k.file);
    try {
      load(c.path);
      ADD_FAILURE() << k.file << ": no error";
    } catch (const InputError& e) {
      EXPECT_EQ(fs::path(e.path()).lexically_normal(), fs::path(c / k.file).lexically_normal()) << e.what();
      EXPECT_FALSE(e.message().empty());
    }
  }
}

TEST(Drivestudio, LayoutNeedsTheStreetPreset) {
  test::TempDir dir;
  synth::SynthOptions o = street("drivestudio");
  o.preset = "object";
  o.cameras = 1;
  EXPECT_THROW(synth::write_synth_dataset(o, dir / "object"), InputError);
  o = street("kitti");
  EXPECT_THROW(synth::write_synth_dataset(o, dir / "kitti"), InputError);
  EXPECT_FALSE(fs::exists(dir / "object"));
}

}  // namespace
}  // namespace ttgs
