#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/parallel.hpp"
#include "io/dataset.hpp"
#include "io/file_util.hpp"
#include "io/image_io.hpp"
#include "io/npy.hpp"
#include "io/ply.hpp"
#include "synth/raytrace.hpp"
#include "synth/writer.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {
namespace fs = std::filesystem;

synth::SynthOptions small(const std::string& preset, int views = 6) {
  synth::SynthOptions o;
  o.preset = preset;
  o.seed = 11;
  o.views = views;
  o.novel = 2;
  o.width = 96;
  o.height = 72;
  o.supersample = 2;
  o.scaffold.points = 3000;
  return o;
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, size_t(q * double(v.size())))];
}

TEST(Synth, SameSeedSameBytesWhateverTheThreadCount) {
  for (const std::string preset : {"object", "street"}) {
    test::TempDir dir;
    synth::SynthOptions o = small(preset, 4);
    o.randomize.sensor = true;  // noise, blur, JPEG: all must be deterministic too
    o.scaffold.noise = 0.01;
    o.scaffold.outliers = 0.05;
    set_num_threads(1);
    synth::write_synth_dataset(o, dir / "one");
    set_num_threads(2);
    synth::write_synth_dataset(o, dir / "two");
    set_num_threads(0);
    size_t files = 0;
    for (const auto& e : fs::recursive_directory_iterator(dir / "one")) {
      if (!e.is_regular_file()) continue;
      const std::string rel = fs::relative(e.path(), dir / "one").string();
      ASSERT_TRUE(fs::exists(dir / ("two/" + rel))) << rel;
      EXPECT_EQ(io::read_file(e.path().string()), io::read_file(dir / ("two/" + rel))) << preset << ": " << rel;
      ++files;
    }
    EXPECT_EQ(files, 6u * 5 + 3 + (preset == "street"));  // 6 views x (image, mask, label, 2 depth) + ply, json x2 (+ actors)
    // A different seed gives a different scene.
    o.seed = 12;
    synth::write_synth_dataset(o, dir / "three");
    EXPECT_NE(io::read_file(dir / "one/images/frame_0000.png"), io::read_file(dir / "three/images/frame_0000.png"));
    if (preset == "object") {  // an output whose parent folders do not exist yet: made, as mkdir -p would
      synth::write_synth_dataset(o, dir / "nested/deeper/four");
      EXPECT_TRUE(fs::exists(dir / "nested/deeper/four/transforms.json"));
    }
  }
}

// Unprojects each static pixel of view a, projects it into view b, and compares with b's depth and colour where
// b sees the same surface (same primitive, inverse depth affine over the 2x2 neighbourhood: no edge in between).
struct Consistency {
  std::vector<double> depth_rel, color_abs;
  size_t static_pixels = 0;
};

Consistency check_pair(const synth::SynthScene& ss, size_t a, size_t b) {
  synth::RenderOptions ro;
  const auto& va = ss.views[a];
  const auto& vb = ss.views[b];
  const synth::RenderOutput A = synth::render(ss.scene, va.camera, va.time, ro);
  const synth::RenderOutput B = synth::render(ss.scene, vb.camera, vb.time, ro);
  const Camera& ca = va.camera;
  const Camera& cb = vb.camera;
  const auto placed_b = synth::place_at(ss.scene, vb.time);
  Consistency c;
  for (int y = 0; y < ca.height; ++y)
    for (int x = 0; x < ca.width; ++x) {
      const size_t i = size_t(y) * ca.width + x;
      if (A.label[i] != synth::kLabelStatic) continue;
      ++c.static_pixels;
      const double z = A.depth.data[i];
      const Vec3 pc{(x + 0.5 - ca.cx) / ca.fx * z, (y + 0.5 - ca.cy) / ca.fy * z, z};
      const Vec3 X = transpose(ca.R) * (pc - ca.t);
      const Vec3 q = cb.world_to_camera(X);
      if (q[2] <= 0) continue;
      const double u = cb.fx * q[0] / q[2] + cb.cx - 0.5, v = cb.fy * q[1] / q[2] + cb.cy - 0.5;
      const int x0 = int(std::floor(u)), y0 = int(std::floor(v));
      if (x0 < 0 || y0 < 0 || x0 + 1 >= cb.width || y0 + 1 >= cb.height) continue;
      const double fx = u - x0, fy = v - y0;
      double inv[2][2];
      bool same = true;
      for (int dy = 0; dy < 2; ++dy)
        for (int dx = 0; dx < 2; ++dx) {
          const size_t j = size_t(y0 + dy) * cb.width + x0 + dx;
          same = same && B.primitive[j] == A.primitive[i] && B.label[j] == synth::kLabelStatic;
          inv[dy][dx] = 1.0 / std::max(1e-9, double(B.depth.data[j]));
        }
      if (!same) continue;
      // Interpolating inverse depth is exact on planes; skip 2x2 neighbourhoods that are not (nearly) planar: an
      // edge, a silhouette, or a grazing view of a curved surface.
      const double lo = std::min({inv[0][0], inv[0][1], inv[1][0], inv[1][1]});
      const double hi = std::max({inv[0][0], inv[0][1], inv[1][0], inv[1][1]});
      if (std::abs(inv[0][0] - inv[0][1] - inv[1][0] + inv[1][1]) > 1e-5 * lo || hi - lo > 0.1 * lo) continue;
      const double inv_b = (inv[0][0] * (1 - fx) + inv[0][1] * fx) * (1 - fy) + (inv[1][0] * (1 - fx) + inv[1][1] * fx) * fy;
      const double zb = 1.0 / inv_b;
      // Visible in b: nothing lies between b's centre and the point (a convex primitive can hide its own far side,
      // so the primitive id alone does not decide this).
      const Vec3 to_x = X - cb.center();
      const double dist = norm(to_x);
      const auto blocker = synth::closest_hit(placed_b, {cb.center(), (1.0 / dist) * to_x});
      if (blocker && blocker->hit.t < dist * (1 - 1e-6)) continue;
      c.depth_rel.push_back(std::abs(zb - q[2]) / q[2]);
      for (int ch = 0; ch < 3; ++ch) {
        const auto at = [&](int xx, int yy) { return double(B.color.at(xx, yy, ch)); };
        const double col = (at(x0, y0) * (1 - fx) + at(x0 + 1, y0) * fx) * (1 - fy) + (at(x0, y0 + 1) * (1 - fx) + at(x0 + 1, y0 + 1) * fx) * fy;
        c.color_abs.push_back(std::abs(col - A.color.at(x, y, ch)));
      }
    }
  return c;
}

TEST(Synth, DepthAndColourAgreeAcrossViews) {
  for (const std::string preset : {"object", "street"}) {
    synth::SynthOptions o = small(preset, 12);
    o.width = 128;
    o.height = 96;
    o.randomize.sensor = false;
    const synth::SynthScene ss = synth::build_synth_scene(o);
    for (size_t a : {size_t(0), size_t(5)}) {
      const Consistency c = check_pair(ss, a, a + 1);
      SCOPED_TRACE(preset + " views " + std::to_string(a) + "," + std::to_string(a + 1));
      // Most static pixels are seen again: a pose or projection error would leave almost none.
      EXPECT_GT(double(c.depth_rel.size()), 0.25 * double(c.static_pixels));
      std::printf("%s %zu: n=%zu/%zu p50 %.2e p99 %.2e p999 %.2e max %.2e | colour p50 %.3f p90 %.3f\n", preset.c_str(), a,
                  c.depth_rel.size(), c.static_pixels, percentile(c.depth_rel, 0.5), percentile(c.depth_rel, 0.99),
                  percentile(c.depth_rel, 0.999), percentile(c.depth_rel, 1.0), percentile(c.color_abs, 0.5), percentile(c.color_abs, 0.9));
      EXPECT_LT(percentile(c.depth_rel, 1.0), 1e-3);
      // Colour: Lambertian shading is view-independent; what differs between views is the specular term (weight
      // up to 0.15, so up to ~0.15 on highlights), bilinear resampling of b, and supersampling over different pixel
      // footprints of textures with sub-pixel detail (amplitude up to 0.12). So: the median within 0.03 and 90%
      // within 0.1 (measured: median 0.003-0.013, 90th percentile 0.02-0.05).
      EXPECT_LT(percentile(c.color_abs, 0.5), 0.03);
      EXPECT_LT(percentile(c.color_abs, 0.9), 0.1);
    }
  }
}

TEST(Synth, MasksAgreeWithGeometry) {
  test::TempDir dir;
  synth::SynthOptions o = small("street", 8);
  o.randomize.sensor = false;
  synth::write_synth_dataset(o, dir / "s");
  const auto actors = nlohmann::json::parse(io::read_file(dir / "s/actors.json"))["actors"];
  ASSERT_GE(actors.size(), 3u);
  const io::Dataset ds = io::load_dataset(dir / "s", {});
  size_t sky = 0, actor = 0, checked = 0;
  for (size_t v = 0; v < ds.frames.size(); ++v) {
    const io::Frame& f = ds.frames[v];
    const std::string stem = fs::path(f.name).stem().string();
    const Image depth = io::read_npy_image(dir / ("s/depth/" + stem + ".npy"));
    const io::DecodedImage labels = io::read_image(dir / ("s/labels/" + stem + ".png"));
    const Camera& c = f.camera;
    for (int y = 0; y < c.height; ++y)
      for (int x = 0; x < c.width; ++x) {
        const int label = int(std::lround(labels.color.at(x, y) * 255));
        const double z = depth.at(x, y);
        // The loader's mask is 0 exactly on sky and actors.
        ASSERT_EQ(f.mask->at(x, y), label == synth::kLabelStatic ? 255 : 0);
        const Vec3 dir_world = transpose(c.R) * Vec3{(x + 0.5 - c.cx) / c.fx, (y + 0.5 - c.cy) / c.fy, 1.0};
        if (label == synth::kLabelSky) {
          // Sky: nothing was hit (no depth), and only upward rays can miss the infinite ground.
          ASSERT_EQ(z, 0.0);
          ASSERT_GT(dir_world[2], 0.0);
          ++sky;
          continue;
        }
        ASSERT_GT(z, 0.0);
        // The surface point lies inside an actor's box (from actors.json at this frame) iff the label says so.
        const Vec3 X = c.center() + z * dir_world;
        int inside = -1;
        for (size_t k = 0; k < actors.size(); ++k) {
          const auto& m = actors[k]["poses"][v]["transform_matrix"];
          Vec3 local{0, 0, 0};
          for (int r = 0; r < 3; ++r)  // R^T (X - t)
            for (int cc = 0; cc < 3; ++cc) local[r] += m[cc][r].get<double>() * (X[cc] - m[cc][3].get<double>());
          const auto& size = actors[k]["box_size"];
          // Actor points lie in the box (1 mm slack); static points stay out of it shrunk by 1 cm (the road touches
          // the wheels' contact plane).
          const double slack = label == synth::kLabelStatic ? -0.01 : 1e-3;
          bool in = true;
          for (int a = 0; a < 3; ++a) in = in && std::abs(local[a]) <= 0.5 * size[a].get<double>() + slack;
          if (in) inside = int(k);
        }
        ASSERT_EQ(label == synth::kLabelStatic ? -1 : label - synth::kLabelActorBase, inside)
            << "view " << v << " pixel " << x << "," << y;
        actor += inside >= 0;
        ++checked;
      }
  }
  EXPECT_GT(sky, 1000u);
  EXPECT_GT(actor, 100u);
  EXPECT_GT(checked, 10000u);
}

// Of the scaffold points inside some training view's frustum, the fraction whose depth matches that view's depth
// map (within 2%) in at least one view.
double on_surface_fraction(const std::string& root) {
  const PointCloud pc = io::read_point_cloud_ply(root + "/scaffold.ply");
  const io::Dataset ds = io::load_dataset(root, {});
  std::vector<Image> depths;
  for (size_t v : ds.train)
    depths.push_back(io::read_npy_image(root + "/depth/" + fs::path(ds.frames[v].name).stem().string() + ".npy"));
  size_t ok = 0, in_view = 0;
  for (size_t i = 0; i < pc.size(); ++i) {
    bool seen = false;
    const Vec3 X{pc.positions[i * 3], pc.positions[i * 3 + 1], pc.positions[i * 3 + 2]};
    for (size_t k = 0; k < ds.train.size(); ++k) {
      const Camera& c = ds.frames[ds.train[k]].camera;
      const Vec3 q = c.world_to_camera(X);
      if (q[2] <= 0) continue;
      const auto uv = c.project(X);
      const int x = int(std::floor(uv[0])), y = int(std::floor(uv[1]));
      if (x < 0 || y < 0 || x >= c.width || y >= c.height) continue;
      seen = true;
      if (std::abs(depths[k].at(x, y) - q[2]) < 0.02 * q[2]) {
        ++ok;
        break;
      }
    }
    in_view += seen;
  }
  EXPECT_GT(in_view, pc.size() / 10);
  return double(ok) / double(in_view);
}

TEST(Synth, ScaffoldPointsLieOnRenderedSurfaces) {
  test::TempDir dir;
  synth::SynthOptions o = small("object", 8);
  synth::write_synth_dataset(o, dir / "clean");
  EXPECT_GT(on_surface_fraction(dir / "clean"), 0.97);
  o.scaffold.lidar = true;
  o.preset = "street";
  synth::write_synth_dataset(o, dir / "lidar");
  EXPECT_GT(on_surface_fraction(dir / "lidar"), 0.9);
  // The check can fail: noisy points leave the surfaces.
  o.preset = "object";
  o.scaffold.lidar = false;
  o.scaffold.noise = 0.05;
  synth::write_synth_dataset(o, dir / "noisy");
  EXPECT_LT(on_surface_fraction(dir / "noisy"), 0.6);
}

// A 3-camera rig with LiDAR: every training camera is its ego pose composed with its fixed extrinsics; LiDAR returns
// agree with the exact depth maps of the cameras at the same timestamp; some returns fall inside the cars' boxes.
TEST(Synth, StreetRigCamerasLidarAndTracksAgree) {
  test::TempDir dir;
  synth::SynthOptions o = small("street", 4);
  o.cameras = 3;
  o.scaffold.lidar = true;
  synth::write_synth_dataset(o, dir / "rig");
  io::LoadOptions lo;
  const io::Dataset ds = io::load_dataset(dir / "rig", lo);
  ASSERT_EQ(ds.frames.size(), 18u);  // (4 + 2) timestamps x 3 cameras
  ASSERT_TRUE(ds.rig);
  EXPECT_EQ(ds.sensors, (std::vector<std::string>{"front", "front_left", "front_right"}));
  EXPECT_EQ(ds.timestamps.size(), 6u);
  EXPECT_EQ(ds.lidar.size(), 6u);
  EXPECT_GE(ds.actors.size(), 3u);
  std::vector<double> rel_errors;
  for (size_t i : ds.train) {
    const io::Frame& f = ds.frames[i];
    const Pose rig_pose = ds.rig->vehicle_to_world[size_t(f.time_index)].compose(
        ds.rig->sensor_to_vehicle[size_t(f.sensor_index)]);
    const Mat4 expected = rig_pose.matrix(), actual = f.camera.camera_to_world_opencv();
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 4; ++c) EXPECT_NEAR(actual[r][c], expected[r][c], 1e-9) << f.name;
    const Image depth = io::read_npy_image(dir / ("rig/depth/" + f.name.substr(7, f.name.size() - 11) + ".npy"));
    const io::LidarSweep& sweep = ds.lidar[size_t(f.time_index)];
    for (size_t p = 0; p < sweep.size(); p += 7) {
      const Vec3 x{sweep.points[3 * p], sweep.points[3 * p + 1], sweep.points[3 * p + 2]};
      const double z = f.camera.world_to_camera(x)[2];
      const auto uv = f.camera.project(x);
      if (z < 1 || uv[0] < 0 || uv[1] < 0 || uv[0] >= f.camera.width || uv[1] >= f.camera.height) continue;
      const double d = depth.at(int(uv[0]), int(uv[1]));
      if (d > 0) rel_errors.push_back(std::abs(z - d) / d);
    }
  }
  ASSERT_GT(rel_errors.size(), 500u);
  const double median = percentile(rel_errors, 0.5);
  std::printf("LiDAR vs depth maps: %zu returns in view, median relative error %.4f\n", rel_errors.size(), median);
  EXPECT_LT(median, 0.02);
  size_t on_actors = 0;
  for (const io::LidarSweep& sweep : ds.lidar)
    for (const io::ActorTrack& a : ds.actors) {
      const std::optional<Pose> pose = a.pose_at(sweep.time_index);
      ASSERT_TRUE(pose) << a.id << " untracked at timestamp " << sweep.time_index;
      const Pose to_box = pose->inverse();
      for (size_t p = 0; p < sweep.size(); ++p) {
        const Vec3 b = to_box.apply({sweep.points[3 * p], sweep.points[3 * p + 1], sweep.points[3 * p + 2]});
        on_actors += std::abs(b[0]) < a.size[0] / 2 && std::abs(b[1]) < a.size[1] / 2 && std::abs(b[2]) < a.size[2] / 2;
      }
    }
  EXPECT_GT(on_actors, 100u);
  synth::SynthOptions bad = small("object", 4);
  bad.cameras = 3;
  EXPECT_THROW(synth::write_synth_dataset(bad, dir / "bad"), InputError);
}

// Edit ground truth: edited/ holds the same views with one car removed and one moved; only a small part of each image
// changes, the edited tracks lose the removed car and move the other by the edit in its box frame.
TEST(Synth, EditedViewsRemoveAndMoveActors) {
  test::TempDir dir;
  synth::SynthOptions o = small("street", 4);
  o.edits = {"remove:car_0", "move:car_1:1.5,0.5,10"};
  synth::write_synth_dataset(o, dir / "s");
  const io::Dataset ds = io::load_dataset(dir / "s", {});
  const io::Dataset ed = io::load_dataset(dir / "s/edited", {});
  ASSERT_EQ(ed.frames.size(), ds.frames.size());
  ASSERT_EQ(ed.actors.size(), ds.actors.size() - 1);
  double changed = 0, total = 0;
  for (size_t i = 0; i < ds.frames.size(); ++i) {
    const Image a = to_float(ds.frames[i].image);
    const Image b = to_float(ed.frames[i].image);
    for (size_t k = 0; k < a.data.size(); k += 3) {
      total += 1;
      changed += std::abs(a.data[k] - b.data[k]) + std::abs(a.data[k + 1] - b.data[k + 1]) > 0.02;
    }
  }
  std::printf("edited pixels: %.2f%%\n", 100 * changed / total);
  EXPECT_GT(changed, 0);
  EXPECT_LT(changed / total, 0.15);
  const auto find = [](const std::vector<io::ActorTrack>& t, const std::string& id) {
    return std::find_if(t.begin(), t.end(), [&](const io::ActorTrack& a) { return a.id == id; });
  };
  EXPECT_EQ(find(ed.actors, "car_0"), ed.actors.end());
  const io::ActorTrack& before = *find(ds.actors, "car_1");
  const io::ActorTrack& after = *find(ed.actors, "car_1");
  const Pose expected = before.object_to_world[0].compose({rotation_z(10 * M_PI / 180), {1.5, 0.5, 0}});
  EXPECT_LT(norm(after.object_to_world[0].translation - expected.translation), 1e-6);
  EXPECT_NEAR(yaw_of(after.object_to_world[0].rotation), yaw_of(expected.rotation), 1e-9);
  o.edits = {"remove:no_such_car"};
  EXPECT_THROW(synth::write_synth_dataset(o, dir / "bad"), InputError);
  EXPECT_FALSE(fs::exists(dir / "bad"));
}

TEST(Synth, DepthPngMatchesNpyAndLoaderRoundTrip) {
  test::TempDir dir;
  synth::write_synth_dataset(small("object"), dir / "o");
  const io::Dataset ds = io::load_dataset(dir / "o", {});
  EXPECT_EQ(ds.frames.size(), 8u);
  EXPECT_EQ(ds.train.size(), 6u);
  EXPECT_EQ(ds.test.size(), 2u);
  ASSERT_TRUE(ds.points);
  EXPECT_EQ(ds.points->size(), 3000u);
  const auto tj = nlohmann::json::parse(io::read_file(dir / "o/transforms.json"));
  const double scale = tj["depth_unit_scale_factor"].get<double>();
  const Image npy = io::read_npy_image(dir / "o/depth/frame_0002.npy");
  ASSERT_TRUE(ds.frames[2].depth);
  for (size_t i = 0; i < npy.data.size(); ++i) ASSERT_NEAR(ds.frames[2].depth->data[i], npy.data[i], 0.5 * scale + 1e-6);
  // Rewriting into the same folder replaces it; a foreign folder is refused.
  synth::write_synth_dataset(small("object"), dir / "o");
  test::write_text(dir / "foreign/notes.txt", "mine");
  EXPECT_THROW(synth::write_synth_dataset(small("object"), dir / "foreign"), InputError);
  EXPECT_TRUE(fs::exists(dir / "foreign/notes.txt"));
  for (const auto& e : fs::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find(".partial-"), std::string::npos) << "staging folder left behind";
}

// A fixed corruption reaches every view, novel ones included: exposure 0.5 halves each pixel of the clean render
// (up to 8-bit rounding, and where the clean pixel was not clipped).
TEST(Synth, FixedSensorCorruptsEveryView) {
  test::TempDir dir;
  synth::SynthOptions o = small("object");
  o.randomize.sensor = true;  // replaced by the fixed effects
  synth::write_synth_dataset(small("object"), dir / "clean");
  synth::SensorEffects dark;
  dark.exposure = 0.5;
  o.fixed_sensor = dark;
  synth::write_synth_dataset(o, dir / "dark");
  const io::Dataset clean = io::load_dataset(dir / "clean", {}), corrupted = io::load_dataset(dir / "dark", {});
  ASSERT_EQ(clean.frames.size(), corrupted.frames.size());
  for (size_t f = 0; f < clean.frames.size(); ++f) {
    const Image a = to_float(clean.frames[f].image);
    const Image b = to_float(corrupted.frames[f].image);
    double worst = 0;
    for (size_t i = 0; i < a.data.size(); ++i)
      if (a.data[i] < 0.99f) worst = std::max(worst, std::abs(double(b.data[i]) - 0.5 * a.data[i]));
    EXPECT_LT(worst, 1.5 / 255) << clean.frames[f].name;
  }
}

}  // namespace
}  // namespace ttgs
