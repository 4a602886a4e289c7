#pragma once
// A posed image dataset, loaded from nerfstudio / instant-ngp transforms.json or a COLMAP model, with lens
// distortion removed (see undistort.hpp), optional downscaling and a train/test split.
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/camera.hpp"
#include "core/distortion.hpp"
#include "core/image.hpp"
#include "core/splat_data.hpp"
#include "io/time_series.hpp"

namespace ttgs::io {

// One frame as the source files describe it, before any pixel is read.
struct FrameSource {
  std::string name;        // the name the dataset uses (file_path / COLMAP image name); split lists refer to it
  std::string image_path;  // resolved path
  std::string mask_path, depth_path;  // resolved, empty when absent
  std::vector<std::string> exclude_mask_paths;  // masks whose set pixels (> 0.5) are ignored (drivestudio sky, movers)
  double depth_scale = 1e-3;          // metres per unit of an integer depth PNG
  Camera camera;                      // pinhole intrinsics of the source resolution, and pose
  std::string camera_model;           // as named by the source, e.g. OPENCV
  Distortion distortion;
  std::optional<double> time;         // seconds, when the source gives one
  std::string sensor;                 // camera name, when the source gives one
};

// What a dataset's metadata says, before images are decoded.
struct DatasetSource {
  std::string root;    // folder that relative paths are resolved against
  std::string format;  // "nerfstudio", "instant-ngp", "colmap", "dgp" or "drivestudio"
  std::string meta_path;  // transforms.json or the COLMAP model folder
  std::vector<FrameSource> frames;
  size_t num_listed = 0;                 // frames listed, including missing ones
  std::vector<std::string> missing;      // listed frames whose image file does not exist
  std::string points_path;               // ply_file_path, or points3D.ply / sparse_pc.ply beside transforms.json
  bool points_beside = false;            // points_path was found beside transforms.json, not named by it
  std::optional<PointCloud> points;      // COLMAP points3D
  std::optional<std::vector<std::string>> train_names, test_names;
  std::string actors_path;               // ttgs's actors.json beside transforms.json, when present
  std::optional<Rig> rig;                // sensor extrinsics and ego poses (loaders of rig formats)
  std::vector<LidarSweep> lidar;
  std::vector<ActorTrack> actors;        // tracks given directly by the source (time indices into its timestamps)
  std::vector<double> timestamps;        // the source's own timestamps, when it has a fixed list
  Vec3 world_offset{0, 0, 0};            // subtracted from every source position (recentring); 0 = none
  bool masks_exclude_sky_and_actors = false;  // transforms.json "masks_exclude": ["sky", "actors"]
};

struct FramePixelSource;  // how a lazily loaded frame's pixels are made again (dataset.cpp)

struct Frame {
  std::string name;
  Camera camera;               // pinhole, at the loaded resolution
  Image8 image;                // RGB, 8-bit (value / 255 in [0, 1]); empty when loaded without pixels
  // 255 = use, 0 = ignore (user mask and/or undistortion border); null: every pixel. Never changed in place:
  // frames of one lens without masks of their own share its border mask.
  std::shared_ptr<const Image8> mask;
  std::optional<Image> depth;  // metres, 0 = unknown
  double time = 0;             // seconds (0 for static data)
  int time_index = 0;          // into Dataset::timestamps
  std::string sensor;          // camera name ("" for single-camera data)
  int sensor_index = 0;        // into Dataset::sensors
  // Loaded lazily (LoadOptions::lazy_above_bytes): no pixels above, but its files, lens and downscale, so that
  // with_pixels can decode them when they are used.
  std::shared_ptr<const FramePixelSource> pixel_source;
};

struct Dataset {  // a new field: copy it in without_pixels (below) too
  std::string path, format, camera_model;
  bool has_distortion = false;
  std::vector<Frame> frames;
  std::optional<PointCloud> points;
  std::vector<size_t> train, test;  // indices into frames
  size_t num_missing = 0;
  // Time and sensors. Static data: one timestamp (0), one unnamed sensor, no rig, LiDAR or actors.
  std::vector<double> timestamps{0.0};  // distinct frame times, ascending
  std::vector<std::string> sensors{""};  // distinct camera names, in order of first appearance
  std::optional<Rig> rig;
  std::vector<LidarSweep> lidar;
  std::vector<ActorTrack> actors;
  Vec3 world_offset{0, 0, 0};  // source world = ours + world_offset (DatasetSource::world_offset)
  bool masks_exclude_sky_and_actors = false;  // the masks only hide sky and actors (see model::uses_masks)
  int64_t pixel_cache_bytes = 0;  // loaded lazily: how many bytes of decoded frames a view cache may keep
  bool is_time_series() const { return timestamps.size() > 1; }
};

struct LoadOptions {
  // A split without training frames is an error for commands that train; render and eval only read the frames.
  bool require_training_frames = true;
  int downscale = 1;  // integer factor: area filter for images, nearest for depth, block minimum for masks
  // Without split lists: frames with index % test_every == 0 are test (time series: every frame of the timestamps
  // with index % test_every == 0, all cameras of each); 0 = no test split.
  int test_every = 8;
  std::optional<std::vector<int>> test_timestamps;  // time series: these timestamp indices are the test split
  bool load_pixels = true;  // false: decode and validate every file, keep only cameras (for `ttgs info`)
  std::array<float, 3> background{0.f, 0.f, 0.f};  // what transparent pixels of RGBA images are composited over
  // When the frames' pixels (pixel_bytes) would take more than this many bytes, they are loaded lazily: every file
  // is still read and validated, but each frame keeps only what it needs to decode its pixels again (with_pixels),
  // and the training core's view cache keeps at most this many bytes of decoded frames. 0: always at load. Datasets
  // with more than kMaxLazyLenses distinct distorted lenses load at once (each lens's map would outweigh its frames).
  int64_t lazy_above_bytes = 0;
};
constexpr int kMaxLazyLenses = 8;

// Reads the metadata at `path`: a transforms.json, a folder holding one, a COLMAP model folder
// (cameras/images/points3D .bin or .txt), a folder with sparse/0 and images/, a DGP scene (io/dgp.hpp) or a
// drivestudio scene folder (io/drivestudio.hpp).
// Whether a split list's entry names a frame: the same normalized path, else the same file name.
bool frame_name_matches(const std::string& frame_name, const std::string& listed);

DatasetSource read_dataset_source(const std::string& path);
// Reads, validates, undistorts and downsamples everything the source refers to.
Dataset load_dataset(const DatasetSource& source, const LoadOptions& options);
Dataset load_dataset(const std::string& path, const LoadOptions& options);

// The dataset's frames seen at timestamp `time_index` (each frame's time and time index replaced): rendering a
// clip's cameras at another moment.
Dataset at_timestamp(Dataset dataset, int time_index);
// The dataset's cameras moved by `offset` in world coordinates (a shifted trajectory, e.g. a lane change).
Dataset shifted(Dataset dataset, const Vec3& offset);

// The frame with its pixels (image, mask, and depth `with_depth`): a copy of `frame`, decoded from its files when it
// was loaded lazily. InputError when a file changed since the dataset was loaded.
Frame with_pixels(const Frame& frame, bool with_depth = true);
bool has_pixels(const Frame& frame);  // in memory, or decodable by with_pixels
// The frame with its pixels without a copy: `frame` itself when it holds them, else `decoded` filled by with_pixels
// (which must outlive the returned reference).
const Frame& pixels_of(const Frame& frame, std::optional<Frame>& decoded, bool with_depth = true);
// The bytes that `source`'s frames' 8-bit photos and masks and float depth maps take when loaded with `options`
// (from the cameras).
int64_t pixel_bytes(const DatasetSource& source, const LoadOptions& options);

// The dataset without its frames' pixels (images, masks, depth maps): every other field, frame metadata included.
Dataset without_pixels(const Dataset& dataset);

// Largest distance of the camera centres from their mean, times 1.1 (3DGS's scene extent; 1.1e-3 at least).
double scene_extent(const Dataset& dataset);

}  // namespace ttgs::io
