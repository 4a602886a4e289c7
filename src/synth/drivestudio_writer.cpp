#include "synth/drivestudio_writer.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "core/progress.hpp"
#include "io/drivestudio.hpp"
#include "io/file_util.hpp"
#include "io/image_io.hpp"
#include "io/transforms_json.hpp"
#include "synth/lidar.hpp"
#include "synth/raytrace.hpp"

namespace ttgs::synth {
namespace {
namespace fs = std::filesystem;
using ordered_json = nlohmann::ordered_json;

constexpr int kJpegQuality = 95;

// A training view's place in the layout: frame t (the t-th training timestamp), camera c (the rig's c-th camera).
struct Slot {
  size_t view = 0;
  int frame = 0, camera = 0;
};

// The rig time index of each frame: the training timestamps, ascending, each t x 0.1 s as the reader takes it.
std::vector<size_t> frame_times(const SynthScene& ss) {
  std::vector<size_t> out;
  const std::vector<double>& times = ss.rig->times;
  for (size_t k = 0; k < times.size(); ++k) {
    bool trained = false;
    for (int v = 0; v < ss.num_train; ++v) trained = trained || ss.views[size_t(v)].time == times[k];
    if (!trained) continue;
    const int frame = int(out.size());
    if (std::abs(times[k] - frame * io::kDrivestudioFrameSeconds) > 1e-9)
      throw std::logic_error("drivestudio writer: training timestamps are not 0.1 s apart from 0");
    out.push_back(k);
  }
  return out;
}

std::vector<Slot> training_slots(const SynthScene& ss, const std::vector<size_t>& frames) {
  std::vector<Slot> out;
  const SynthRig& rig = *ss.rig;
  for (int v = 0; v < ss.num_train; ++v) {
    const ViewSpec& view = ss.views[size_t(v)];
    Slot s{size_t(v), 0, 0};
    while (rig.times[frames[size_t(s.frame)]] != view.time) ++s.frame;
    while (rig.cameras[size_t(s.camera)] != view.camera_name) ++s.camera;
    out.push_back(s);
  }
  return out;
}

std::string file(const std::string& dir, const std::string& rel) { return (fs::path(dir) / rel).string(); }

// extrinsics/<c>.txt (Waymo camera axes), intrinsics/<c>.txt (no distortion), ego_pose/<t>.txt.
void write_rig_files(const SynthScene& ss, const std::vector<Slot>& slots, const std::vector<size_t>& frames,
                     const std::string& dir) {
  const SynthRig& rig = *ss.rig;
  const Pose waymo_axes{transpose(io::opencv_to_waymo_camera()), {0, 0, 0}};
  for (size_t c = 0; c < rig.cameras.size(); ++c) {
    const std::string name = std::to_string(c) + ".txt";
    io::write_file_atomic(file(dir, "extrinsics/" + name),
                          io::drivestudio_matrix_text(rig.camera_to_vehicle[c].compose(waymo_axes).matrix()));
    for (const Slot& s : slots) {
      if (s.camera != int(c)) continue;
      const Camera& cam = ss.views[s.view].camera;
      io::write_file_atomic(file(dir, "intrinsics/" + name),
                            io::drivestudio_numbers_text({cam.fx, cam.fy, cam.cx, cam.cy, 0, 0, 0, 0, 0}));
      break;
    }
  }
  for (size_t t = 0; t < frames.size(); ++t)
    io::write_file_atomic(file(dir, "ego_pose/" + io::drivestudio_frame_name(int(t)) + ".txt"),
                          io::drivestudio_matrix_text(rig.vehicle_to_world[frames[t]].matrix()));
}

// 1 where `keep` holds for the pixel's label, else 0.
template <class Keep>
Image label_mask(const RenderOutput& r, Keep keep) {
  Image m(r.color.width, r.color.height, 1);
  for (size_t i = 0; i < r.label.size(); ++i) m.data[i] = keep(r.label[i]) ? 1.f : 0.f;
  return m;
}

// images/<t>_<c>.jpg (the nerfstudio layout's rendering and sensor effects), sky_masks/, dynamic_masks/*/.
void write_view_files(const SynthScene& ss, const SynthOptions& opt, const Slot& s, const std::string& dir) {
  const ViewSpec& view = ss.views[s.view];
  RenderOptions ropt;
  ropt.supersample = opt.supersample;
  const RenderOutput r = render(ss.scene, view.camera, view.time, ropt);
  const std::string stem = io::drivestudio_image_stem(s.frame, s.camera);
  io::write_jpeg(file(dir, "images/" + stem + ".jpg"), apply_sensor_effects(r.color, view.sensor, opt.seed, s.view),
                 kJpegQuality);
  io::write_png(file(dir, "sky_masks/" + stem + ".png"), label_mask(r, [](uint8_t l) { return l == kLabelSky; }));
  const Image cars = label_mask(r, [](uint8_t l) { return l >= kLabelActorBase; });
  io::write_png(file(dir, "dynamic_masks/all/" + stem + ".png"), cars);
  io::write_png(file(dir, "dynamic_masks/vehicle/" + stem + ".png"), cars);
  io::write_png(file(dir, "dynamic_masks/human/" + stem + ".png"), Image(cars.width, cars.height, 1, 0.f));
}

// lidar/<t>.bin: each return in the vehicle frame of its frame.
void write_lidar_sweep(const SynthScene& ss, size_t rig_index, int frame, const std::string& dir) {
  const Pose& ego = ss.rig->vehicle_to_world[rig_index];
  const LidarScan scan = scan_lidar(ss.scene, ss.rig->times[rig_index], ego);
  const Pose to_vehicle = ego.inverse();
  const Vec3 origin = to_vehicle.apply(scan.origin);
  const size_t n = scan.intensity.size(), width = io::kDrivestudioLidarFloats;
  std::vector<float> rows(n * width, 0.f);
  for (size_t i = 0; i < n; ++i) {
    float* row = rows.data() + i * width;
    const Vec3 p = to_vehicle.apply({scan.points[i * 3], scan.points[i * 3 + 1], scan.points[i * 3 + 2]});
    for (int a = 0; a < 3; ++a) {
      row[io::kLidarOrigin + a] = float(origin[size_t(a)]);
      row[io::kLidarPoint + a] = float(p[size_t(a)]);
    }
    row[io::kLidarFlowClass] = -1.f;
    row[io::kLidarIntensity] = scan.intensity[i];
  }
  io::write_file_atomic(file(dir, "lidar/" + io::drivestudio_frame_name(frame) + ".bin"),
                        std::string(reinterpret_cast<const char*>(rows.data()), rows.size() * sizeof(float)));
}

// instances/instances_info.json and frame_instances.json: every car at every frame.
void write_instances(const SynthScene& ss, const std::vector<size_t>& frames, const std::string& dir) {
  ordered_json info = ordered_json::object(), per_frame = ordered_json::object();
  for (size_t k = 0; k < ss.scene.actors.size(); ++k) {
    const Actor& a = ss.scene.actors[k];
    ordered_json index = ordered_json::array(), poses = ordered_json::array(), sizes = ordered_json::array();
    for (size_t t = 0; t < frames.size(); ++t) {
      index.push_back(t);
      poses.push_back(io::matrix_rows(a.pose_at(ss.rig->times[frames[t]]).matrix()));
      sizes.push_back({a.box_size[0], a.box_size[1], a.box_size[2]});
    }
    info[std::to_string(k)] = {
        {"id", a.name},
        {"class_name", "Vehicle"},
        {"frame_annotations", {{"frame_idx", index}, {"obj_to_world", poses}, {"box_size", sizes}}}};
  }
  for (size_t t = 0; t < frames.size(); ++t) {
    ordered_json keys = ordered_json::array();
    for (size_t k = 0; k < ss.scene.actors.size(); ++k) keys.push_back(k);
    per_frame[std::to_string(t)] = keys;
  }
  io::write_file_atomic(file(dir, "instances/instances_info.json"), info.dump(4) + "\n");
  io::write_file_atomic(file(dir, "instances/frame_instances.json"), per_frame.dump(4) + "\n");
}

}  // namespace

WriteSummary write_drivestudio_files(const SynthScene& ss, const SynthOptions& opt, const std::string& dir) {
  if (!ss.rig) throw std::logic_error("drivestudio writer: the scene has no rig");
  const auto t0 = std::chrono::steady_clock::now();
  for (const char* sub : {"images", "extrinsics", "intrinsics", "ego_pose", "sky_masks", "dynamic_masks/all",
                          "dynamic_masks/vehicle", "dynamic_masks/human", "instances"})
    fs::create_directories(fs::path(dir) / sub);
  const std::vector<size_t> frames = frame_times(ss);
  const std::vector<Slot> slots = training_slots(ss, frames);
  write_rig_files(ss, slots, frames, dir);
  Progress progress("rendering views", int64_t(slots.size()));
  for (const Slot& s : slots) {
    write_view_files(ss, opt, s, dir);
    progress.advance();
  }
  progress.finish();
  WriteSummary summary;
  summary.images = int(slots.size());
  summary.render_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (opt.scaffold.lidar) {
    fs::create_directories(fs::path(dir) / "lidar");
    Progress scans("scanning lidar", int64_t(frames.size()));
    for (size_t t = 0; t < frames.size(); ++t) {
      write_lidar_sweep(ss, frames[t], int(t), dir);
      scans.advance();
    }
    scans.finish();
  }
  write_instances(ss, frames, dir);
  return summary;
}

}  // namespace ttgs::synth
