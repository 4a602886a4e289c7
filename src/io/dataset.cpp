#include "io/dataset.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <exception>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>

#include "core/allocator.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/parallel.hpp"
#include "core/progress.hpp"
#include "io/actors_json.hpp"
#include "io/colmap.hpp"
#include "io/dgp.hpp"
#include "io/drivestudio.hpp"
#include "io/file_util.hpp"
#include "io/image_io.hpp"
#include "io/npy.hpp"
#include "io/ply.hpp"
#include "io/transforms_json.hpp"
#include "io/undistort.hpp"

namespace ttgs::io {
namespace {

DatasetSource read_colmap_source(const std::string& model_dir, const std::string& images_dir) {
  const ColmapModel model = read_colmap_model(model_dir);
  if (model.images.empty()) throw InputError(model_dir, "the COLMAP model has no images");
  DatasetSource src;
  src.root = images_dir;
  src.format = "colmap";
  src.meta_path = model_dir;
  src.num_listed = model.images.size();
  std::vector<const ColmapImage*> order;
  for (const auto& im : model.images) order.push_back(&im);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (const ColmapImage* im : order) {
    const ColmapCamera& cc = model.cameras.at(im->camera_id);
    FrameSource fs;
    fs.name = im->name;
    fs.image_path = join_path(images_dir, im->name);
    fs.camera_model = cc.model;
    Camera cam;
    colmap_intrinsics(cc, join_path(model_dir, "cameras"), cam.fx, cam.fy, cam.cx, cam.cy, fs.distortion);
    cam.width = int(cc.width);
    cam.height = int(cc.height);
    fs.camera = colmap_pose(*im, cam);
    if (!file_exists(fs.image_path)) {
      src.missing.push_back(fs.name);
      continue;
    }
    src.frames.push_back(fs);
  }
  PointCloud pc;
  for (const auto& p : model.points) {
    for (int a = 0; a < 3; ++a) pc.positions.push_back(float(p.xyz[a]));
    for (int a = 0; a < 3; ++a) pc.colors.push_back(p.rgb[a] / 255.f);
  }
  src.points = pc;
  return src;
}

// The images folder that belongs to a COLMAP model folder: <root>/images for <root>/sparse/0, else beside it.
std::string colmap_images_dir(const std::string& model_dir) {
  namespace fs = std::filesystem;
  const fs::path m = fs::absolute(model_dir).lexically_normal();
  for (const fs::path& cand : {m.parent_path().parent_path() / "images", m.parent_path() / "images", m / "images"})
    if (is_directory(cand.string())) return cand.string();
  throw InputError(model_dir, "COLMAP model found but no images/ folder next to it (looked in ../../images, ../images, ./images)");
}

bool has_colmap_model(const std::string& dir) {
  return file_exists(join_path(dir, "cameras.bin")) || file_exists(join_path(dir, "cameras.txt"));
}

Image read_mask(const std::string& path, int width, int height) {
  const DecodedImage d = read_image(path);
  const Image& src = d.color;  // gray (or the first channel of a colour file): > 0.5 means use
  if (src.width != width || src.height != height)
    throw InputError(path, "mask is " + std::to_string(src.width) + "x" + std::to_string(src.height) + " but its image is " +
                               std::to_string(width) + "x" + std::to_string(height));
  Image m(width, height, 1);
  for (size_t p = 0; p < m.data.size(); ++p) m.data[p] = src.data[p * src.channels] > 0.5f ? 1.f : 0.f;
  return m;
}

Image read_depth(const std::string& path, double scale, int width, int height) {
  Image depth;
  if (lower_extension(path) == ".npy") {
    depth = read_npy_image(path);
  } else {
    const DecodedImage d = read_image(path);
    if (d.color.channels != 1) throw InputError(path, "depth PNG must have a single channel");
    depth = d.color;
    const float units = d.bit_depth == 16 ? 65535.f : 255.f;  // back to the stored integers
    for (float& v : depth.data) v = float(std::round(v * units) * scale);
  }
  if (depth.width != width || depth.height != height)
    throw InputError(path, "depth map is " + std::to_string(depth.width) + "x" + std::to_string(depth.height) +
                               " but its image is " + std::to_string(width) + "x" + std::to_string(height));
  for (float v : depth.data)
    if (!(v >= 0)) throw InputError(path, "depth map holds negative values");
  return depth;
}

// The frame's mask (1 = use): its mask file, with the pixels its exclude masks set taken out; none when it has none.
std::optional<Image> read_masks(const FrameSource& fs, int width, int height) {
  std::optional<Image> mask;
  if (!fs.mask_path.empty()) mask = read_mask(fs.mask_path, width, height);
  for (const std::string& path : fs.exclude_mask_paths) {
    const Image excluded = read_mask(path, width, height);
    if (!mask) mask = Image(width, height, 1, 1.f);
    for (size_t i = 0; i < mask->data.size(); ++i) mask->data[i] *= 1.f - excluded.data[i];
  }
  return mask;
}

bool same_lens(const FrameSource& a, const FrameSource& b) {
  const auto& x = a.camera;
  const auto& y = b.camera;
  const auto& d = a.distortion;
  const auto& e = b.distortion;
  return x.fx == y.fx && x.fy == y.fy && x.cx == y.cx && x.cy == y.cy && x.width == y.width && x.height == y.height &&
         d.k1 == e.k1 && d.k2 == e.k2 && d.k3 == e.k3 && d.k4 == e.k4 && d.k5 == e.k5 && d.k6 == e.k6 && d.k7 == e.k7 &&
         d.p1 == e.p1 && d.p2 == e.p2;
}

// One lens's undistortion: the map and the pixels that have a source (1) at full size, and that mask at the loaded
// size (null when every pixel has a source).
struct LensPixels {
  FrameSource owner;  // a frame with this lens (its camera and distortion)
  UndistortMap map;
  Image valid;
  std::shared_ptr<const Image8> border_mask;
};

// The lenses being loaded, shared by the loading threads: the last `keep` lenses seen (frames come lens by lens or
// in a rig's repeating order, so a map is made once per run of frames), and the border mask of every lens seen, one
// each, shared by the frames without masks of their own: a long log keeps one copy.
class Lenses {
 public:
  Lenses(int downscale, size_t keep) : downscale_(downscale), keep_(std::max<size_t>(keep, 1)) {}

  std::shared_ptr<const LensPixels> of(const FrameSource& fs) {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& lens : recent_)
      if (same_lens(lens->owner, fs)) return lens;
    auto lens = std::make_shared<LensPixels>();
    lens->owner = fs;
    lens->map = make_undistort_map(fs.camera, fs.distortion);
    lens->valid = valid_mask(lens->map);
    if (std::find(lens->valid.data.begin(), lens->valid.data.end(), 0.f) != lens->valid.data.end())
      lens->border_mask = border_mask(fs, lens->valid);
    if (recent_.size() == keep_) recent_.erase(recent_.begin());
    recent_.push_back(lens);
    return lens;
  }

 private:
  std::shared_ptr<const Image8> border_mask(const FrameSource& fs, const Image& valid) {
    for (const auto& [owner, kept] : border_masks_)
      if (same_lens(owner, fs)) return kept;
    auto mask = std::make_shared<const Image8>(to_8bit(downscale_min(valid, downscale_)));
    border_masks_.emplace_back(fs, mask);
    return mask;
  }

  const int downscale_;
  const size_t keep_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<const LensPixels>> recent_;
  std::vector<std::pair<FrameSource, std::shared_ptr<const Image8>>> border_masks_;
};

// A frame's files as read: the photo and, when it has them, its mask and depth map, each checked against its camera.
struct FrameFiles {
  Image rgb;
  std::optional<Image> mask, depth;
};

FrameFiles read_frame_files(const FrameSource& fs, const std::array<float, 3>& background, bool with_depth = true) {
  const Camera& cam = fs.camera;
  FrameFiles files;
  files.rgb = read_rgb_image(fs.image_path, background.data());
  if (files.rgb.width != cam.width || files.rgb.height != cam.height)
    throw InputError(fs.image_path, "image is " + std::to_string(files.rgb.width) + "x" +
                                        std::to_string(files.rgb.height) + " but the camera says " +
                                        std::to_string(cam.width) + "x" + std::to_string(cam.height));
  files.mask = read_masks(fs, cam.width, cam.height);
  if (!fs.depth_path.empty() && with_depth)
    files.depth = read_depth(fs.depth_path, fs.depth_scale, cam.width, cam.height);
  return files;
}

// The frame's pixels from its files: undistorted (when `lens` is given), downscaled in float and kept as 8-bit.
void make_pixels(FrameFiles files, int downscale, const LensPixels* lens, Frame& f) {
  if (lens) {
    files.rgb = remap_bilinear(files.rgb, lens->map);
    if (files.depth) files.depth = remap_nearest(*files.depth, lens->map);
    if (files.mask) {
      files.mask = remap_nearest(*files.mask, lens->map);
      for (size_t i = 0; i < files.mask->data.size(); ++i) files.mask->data[i] *= lens->valid.data[i];
    } else {
      f.mask = lens->border_mask;
    }
  }
  f.image = downscale > 1 ? to_8bit(downscale_area(files.rgb, downscale)) : to_8bit(files.rgb);  // no float copy
  files.rgb = Image();
  if (files.mask) f.mask = std::make_shared<const Image8>(to_8bit(downscale_min(*files.mask, downscale)));
  if (files.depth) f.depth = downscale_nearest(*files.depth, downscale);
}

}  // namespace

struct FramePixelSource {
  FrameSource files;
  int downscale = 1;
  std::array<float, 3> background{0.f, 0.f, 0.f};
  std::shared_ptr<const LensPixels> lens;  // null without distortion
};

namespace {

// Frame `fs` read and validated; with pixels: undistorted, downscaled in float and kept as 8-bit; lazily: with what
// decodes them again.
Frame load_frame(const FrameSource& fs, const LoadOptions& opt, bool lazy, Lenses& lenses) {
  const Camera& cam = fs.camera;
  if (!(cam.width > 0 && cam.height > 0)) throw InputError(fs.image_path, "camera has zero image size");
  if (opt.downscale > 1 && (cam.width < opt.downscale || cam.height < opt.downscale))
    throw InputError(fs.image_path, "image is smaller than the downscale factor");
  FrameFiles files = read_frame_files(fs, opt.background);
  Frame f;
  f.name = fs.name;
  f.camera = cam.downscaled(opt.downscale);
  if (!opt.load_pixels) return f;
  std::shared_ptr<const LensPixels> lens = fs.distortion.is_zero() ? nullptr : lenses.of(fs);
  if (lazy) {
    f.pixel_source = std::make_shared<const FramePixelSource>(
        FramePixelSource{fs, opt.downscale, opt.background, std::move(lens)});
    return f;
  }
  make_pixels(std::move(files), opt.downscale, lens.get(), f);
  return f;
}

size_t distorted_lenses(const DatasetSource& src) {
  std::vector<const FrameSource*> lenses;
  for (const FrameSource& fs : src.frames)
    if (!fs.distortion.is_zero() &&
        std::none_of(lenses.begin(), lenses.end(), [&](const FrameSource* l) { return same_lens(*l, fs); }))
      lenses.push_back(&fs);
  return lenses.size();
}

// Every frame of `src`, read by up to num_threads() threads taking the next frame in turn. A failure stops the
// others from starting new frames; the error of the earliest failing frame is thrown (the same whatever the
// timing: every earlier frame was started and finished).
std::vector<Frame> load_frames(const DatasetSource& src, const LoadOptions& opt, bool lazy) {
  const size_t n = src.frames.size();
  std::vector<Frame> frames(n);
  std::vector<std::exception_ptr> errors(n);
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex progress_mutex;
  Progress progress("loading images", int64_t(n));
  Lenses lenses(opt.downscale, lazy ? size_t(kMaxLazyLenses) : 1);
  const LargeBlocksFromTheSystem no_heap_holes;
  const auto work = [&] {
    for (size_t k = 0; !failed && (k = next++) < n;) {
      try {
        frames[k] = load_frame(src.frames[k], opt, lazy, lenses);
      } catch (...) {
        errors[k] = std::current_exception();
        failed = true;
      }
      std::lock_guard<std::mutex> lock(progress_mutex);
      progress.advance();
    }
  };
  const size_t workers = std::min(n, size_t(std::max(1, num_threads())));
  std::vector<std::thread> threads;
  for (size_t w = 1; w < workers; ++w) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
  progress.finish();
  return frames;
}

}  // namespace

bool frame_name_matches(const std::string& frame, const std::string& listed) {
  namespace fs = std::filesystem;
  const auto norm = [](const std::string& s) { return fs::path(s).lexically_normal().string(); };
  if (norm(frame) == norm(listed)) return true;
  return fs::path(frame).filename() == fs::path(listed).filename();
}

DatasetSource read_dataset_source(const std::string& path) {
  if (path.empty()) throw InputError(path, "empty dataset path");
  if (is_dgp_scene(path)) return read_dgp_source(path);
  if (!is_directory(path)) {
    if (!file_exists(path)) throw InputError(path, "no such file or folder");
    if (lower_extension(path) == ".json") return read_transforms_json(path);
    throw InputError(path, "not a dataset: expected a transforms.json, a COLMAP model folder, or a folder holding one");
  }
  if (file_exists(join_path(path, "transforms.json"))) return read_transforms_json(join_path(path, "transforms.json"));
  if (is_drivestudio_scene(path)) return read_drivestudio_source(path);
  if (has_colmap_model(path)) return read_colmap_source(path, colmap_images_dir(path));
  for (const char* sub : {"sparse/0", "sparse", "colmap/sparse/0"}) {
    const std::string m = join_path(path, sub);
    if (has_colmap_model(m)) return read_colmap_source(m, colmap_images_dir(m));
  }
  throw InputError(path, "not a dataset: no transforms.json, no COLMAP model (cameras.bin/.txt), no sparse/0 folder, "
                         "no drivestudio ego_pose/ and extrinsics/");
}

namespace {

// Timestamps (the source's list, else the frames' distinct times), each frame's time index and sensor, the rig,
// LiDAR sweeps and actor tracks. InputError when some frames have a time and others not, or a time is not listed.
void assign_time_and_sensors(const DatasetSource& src, Dataset& ds) {
  const size_t timed = size_t(std::count_if(src.frames.begin(), src.frames.end(), [](const FrameSource& f) {
    return f.time.has_value();
  }));
  if (timed != 0 && timed != src.frames.size())
    throw InputError(src.meta_path, "some frames have a 'time' and others not");
  if (timed > 0) {
    std::vector<double> times = src.timestamps;
    if (times.empty()) {
      for (const FrameSource& f : src.frames) times.push_back(*f.time);
      std::sort(times.begin(), times.end());
      times.erase(std::unique(times.begin(), times.end(), [](double a, double b) { return std::abs(a - b) <= 1e-6; }),
                  times.end());
    }
    ds.timestamps = times;
  }
  ds.sensors.clear();
  if (src.rig) ds.sensors = src.rig->sensors;
  for (size_t i = 0; i < ds.frames.size(); ++i) {
    Frame& f = ds.frames[i];
    const FrameSource& fs = src.frames[i];
    f.time = fs.time.value_or(0.0);
    f.time_index = timed > 0 ? timestamp_index(ds.timestamps, f.time) : 0;
    if (f.time_index < 0) throw InputError(src.meta_path, "frame " + f.name + ": its time is not one of the timestamps");
    f.sensor = fs.sensor;
    auto it = std::find(ds.sensors.begin(), ds.sensors.end(), f.sensor);
    if (it == ds.sensors.end() && src.rig) throw InputError(src.meta_path, "frame " + f.name + ": camera not in the rig");
    if (it == ds.sensors.end()) it = ds.sensors.insert(ds.sensors.end(), f.sensor);
    f.sensor_index = int(it - ds.sensors.begin());
  }
  if (src.rig && src.rig->vehicle_to_world.size() != ds.timestamps.size())
    throw InputError(src.meta_path, "the rig needs one ego pose per timestamp");
  ds.rig = src.rig;
  ds.lidar = src.lidar;
  for (LidarSweep& sweep : ds.lidar) {
    sweep.time_index = timestamp_index(ds.timestamps, sweep.time);
    if (sweep.time_index < 0) throw InputError(src.meta_path, "a LiDAR sweep's time is not one of the timestamps");
  }
  ds.actors = src.actors_path.empty() ? src.actors : read_actors_json(src.actors_path, ds.timestamps);
}

bool is_test_frame(const Dataset& ds, size_t i, const LoadOptions& opt) {
  if (!ds.is_time_series()) return opt.test_every > 0 && i % size_t(opt.test_every) == 0 && ds.frames.size() > 1;
  const int k = ds.frames[i].time_index;
  if (opt.test_timestamps) return std::count(opt.test_timestamps->begin(), opt.test_timestamps->end(), k) > 0;
  return opt.test_every > 0 && k % opt.test_every == 0;
}

}  // namespace

Dataset load_dataset(const DatasetSource& src, const LoadOptions& opt) {
  if (opt.downscale < 1) throw InputError(src.meta_path, "--downscale must be at least 1");
  if (opt.test_every < 0) throw InputError(src.meta_path, "--test-every must be 0 or more");
  if (src.frames.empty())
    throw InputError(src.meta_path, "no usable frames: all " + std::to_string(src.num_listed) + " listed images are missing");
  if (!src.missing.empty())
    warn(src.meta_path + ": skipped " + std::to_string(src.missing.size()) + " of " + std::to_string(src.num_listed) +
         " frames whose image file is missing (first: " + src.missing.front() + ")");
  Dataset ds;
  ds.path = src.meta_path;
  ds.format = src.format;
  ds.camera_model = src.frames.front().camera_model;
  ds.num_missing = src.missing.size();
  ds.world_offset = src.world_offset;
  ds.masks_exclude_sky_and_actors = src.masks_exclude_sky_and_actors;
  if (src.points) ds.points = src.points;
  if (!src.points_path.empty()) ds.points = read_point_cloud_ply(src.points_path);
  if (src.points_beside) note(src.meta_path + ": points from " + src.points_path + " (beside it; no ply_file_path)");
  if (ds.points)
    for (float v : ds.points->positions)
      if (!std::isfinite(v)) throw InputError(src.meta_path, "the point cloud holds NaN or infinite coordinates");

  bool lazy = opt.load_pixels && opt.lazy_above_bytes > 0 && pixel_bytes(src, opt) > opt.lazy_above_bytes;
  if (lazy && distorted_lenses(src) > size_t(kMaxLazyLenses)) {
    note(src.meta_path + ": more than " + std::to_string(kMaxLazyLenses) + " distorted lenses: frames decoded at load");
    lazy = false;
  }
  if (lazy)
    note(src.meta_path + ": " + std::to_string(pixel_bytes(src, opt) >> 20) + " MiB of photos, over --image-memory " +
         std::to_string(opt.lazy_above_bytes >> 20) + ": frames are decoded from their files when used");
  ds.frames = load_frames(src, opt, lazy);
  ds.pixel_cache_bytes = lazy ? opt.lazy_above_bytes : 0;
  for (const FrameSource& fs : src.frames) ds.has_distortion = ds.has_distortion || !fs.distortion.is_zero();
  assign_time_and_sensors(src, ds);
  if (opt.test_timestamps)
    for (int k : *opt.test_timestamps)
      if (k < 0 || size_t(k) >= ds.timestamps.size())
        throw InputError("--test-frames", "timestamp index " + std::to_string(k) + " is not in 0.." +
                                              std::to_string(ds.timestamps.size() - 1));

  // Split: --test-frames, else the dataset's own lists when present, else every Nth frame (timestamp) to test.
  if ((src.train_names || src.test_names) && !opt.test_timestamps) {
    std::set<size_t> test;
    if (src.test_names)
      for (size_t i = 0; i < ds.frames.size(); ++i)
        for (const auto& n : *src.test_names)
          if (frame_name_matches(ds.frames[i].name, n)) test.insert(i);
    for (size_t i = 0; i < ds.frames.size(); ++i) {
      bool in_train = !src.train_names;
      if (src.train_names)
        for (const auto& n : *src.train_names) in_train = in_train || frame_name_matches(ds.frames[i].name, n);
      if (test.count(i)) ds.test.push_back(i);
      else if (in_train) ds.train.push_back(i);
    }
  } else {
    for (size_t i = 0; i < ds.frames.size(); ++i) (is_test_frame(ds, i, opt) ? ds.test : ds.train).push_back(i);
  }
  if (ds.train.empty() && opt.require_training_frames)
    throw InputError(src.meta_path, "the split leaves no training frame");
  return ds;
}

Dataset load_dataset(const std::string& path, const LoadOptions& options) {
  return load_dataset(read_dataset_source(path), options);
}

Dataset at_timestamp(Dataset ds, int k) {
  if (k < 0 || size_t(k) >= ds.timestamps.size())
    throw InputError("--time", "no such timestamp (the dataset has " + std::to_string(ds.timestamps.size()) + ")");
  for (Frame& f : ds.frames) {
    f.time_index = k;
    f.time = ds.timestamps[size_t(k)];
  }
  return ds;
}

Dataset shifted(Dataset ds, const Vec3& offset) {
  for (Frame& f : ds.frames) f.camera.t = f.camera.t - f.camera.R * offset;  // centre c' = c + offset
  return ds;
}

Dataset without_pixels(const Dataset& ds) {
  Dataset out;
  out.path = ds.path;
  out.format = ds.format;
  out.camera_model = ds.camera_model;
  out.has_distortion = ds.has_distortion;
  out.points = ds.points;
  out.train = ds.train;
  out.test = ds.test;
  out.num_missing = ds.num_missing;
  out.timestamps = ds.timestamps;
  out.sensors = ds.sensors;
  out.rig = ds.rig;
  out.lidar = ds.lidar;
  out.actors = ds.actors;
  out.world_offset = ds.world_offset;
  out.masks_exclude_sky_and_actors = ds.masks_exclude_sky_and_actors;
  out.pixel_cache_bytes = ds.pixel_cache_bytes;
  out.frames.reserve(ds.frames.size());
  for (const Frame& f : ds.frames) {
    Frame c;
    c.name = f.name;
    c.camera = f.camera;
    c.time = f.time;
    c.time_index = f.time_index;
    c.sensor = f.sensor;
    c.sensor_index = f.sensor_index;
    out.frames.push_back(std::move(c));
  }
  return out;
}

Frame with_pixels(const Frame& frame, bool with_depth) {
  if (!frame.pixel_source) return frame;
  const FramePixelSource& src = *frame.pixel_source;
  Frame f = frame;
  f.pixel_source.reset();
  make_pixels(read_frame_files(src.files, src.background, with_depth), src.downscale, src.lens.get(), f);
  return f;
}

const Frame& pixels_of(const Frame& frame, std::optional<Frame>& decoded, bool with_depth) {
  if (!frame.pixel_source) return frame;
  decoded = with_pixels(frame, with_depth);
  return *decoded;
}

bool has_pixels(const Frame& frame) { return !frame.image.empty() || frame.pixel_source; }

int64_t pixel_bytes(const DatasetSource& src, const LoadOptions& opt) {
  const int64_t k = std::max(opt.downscale, 1);
  int64_t bytes = 0;
  for (const FrameSource& fs : src.frames) {
    const bool masked = !fs.mask_path.empty() || !fs.exclude_mask_paths.empty();
    const int64_t per_pixel = 3 + (masked ? 1 : 0) + (fs.depth_path.empty() ? 0 : 4);  // depth stays float
    bytes += int64_t(fs.camera.width / k) * int64_t(fs.camera.height / k) * per_pixel;
  }
  return bytes;
}

double scene_extent(const Dataset& ds) {
  Vec3 mean{0, 0, 0};
  for (const Frame& f : ds.frames) mean = mean + (1.0 / double(ds.frames.size())) * f.camera.center();
  double radius = 0;
  for (const Frame& f : ds.frames) radius = std::max(radius, norm(f.camera.center() - mean));
  return std::max(radius, 1e-3) * 1.1;
}

}  // namespace ttgs::io
