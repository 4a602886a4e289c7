#pragma once
// Scene presets and the options of `ttgs synth`, with domain randomization driven by the seed.
//
// Randomized aspects and their ranges (each can be switched off; "off" uses the fixed value in brackets):
//   textures:   pattern (solid, checker, stripes, value noise, gradient noise), a random two-colour palette
//               (HSV: saturation 0.2-0.9, value 0.15-0.95), feature size x0.5-2, fine detail amplitude 0.03-0.12
//               [fixed checker/noise textures with a fixed palette]
//   lighting:   sun azimuth 0-360 deg, elevation 25-70 deg, colour temperature 4000-8000 K, intensity 0.7-1.2,
//               ambient 0.15-0.4, cloud cover 0-0.6 [azimuth 45, elevation 50, 6500 K, 1.0, ambient 0.25]
//   intrinsics: horizontal field of view 45-65 deg (object) / 60-80 deg (street), principal point offset
//               up to +-3% of the image size [55 / 70 deg, centred]
//   sensor:     per image: Gaussian noise sigma 0-0.02, blur sigma 0-0.8 px, exposure x0.8-1.2,
//               white-balance gains 0.9-1.1 per channel, JPEG quality 70-95 on half of the images [none]
//               (off unless asked for: --randomize all, or a list that names sensor)
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/camera.hpp"
#include "synth/scene.hpp"
#include "synth/sensor.hpp"

namespace ttgs::synth {

// Sensor effects are off by default: per-image exposure and white balance cannot be explained by one static scene,
// so they cap any reconstruction's PSNR; turn them on to train or test robustness.
struct RandomizationOptions {
  bool textures = true, lighting = true, intrinsics = true, sensor = false;
};

struct ScaffoldOptions {
  int64_t points = 20000;   // target count of scaffold points
  double noise = 0.0;       // Gaussian position noise, sigma as a fraction of the scene radius
  double outliers = 0.0;    // fraction of points replaced by uniform random points in the scene bounds
  bool lidar = false;       // sample along LiDAR-like scan rings from the camera path instead of camera pixels
};

struct SynthOptions {
  std::string preset = "object";  // object | street
  uint64_t seed = 0;
  int views = 64;   // training views (street with a rig: timestamps, each seen by every camera)
  int cameras = 1;  // street: cameras on the ego vehicle, 1..6 (front, front_left, front_right, left, right, rear)
  int novel = 16;   // novel (test) views: half interpolated between training views, half extrapolated
  int width = 256, height = 192;
  int supersample = 2;  // S x S samples per pixel
  RandomizationOptions randomize;
  ScaffoldOptions scaffold;
  // The same sensor effects on every view, training and novel (corruption studies: a whole capture from a noisy,
  // blurry or mis-exposed camera); replaces the randomized ones.
  std::optional<SensorEffects> fixed_sensor;
  // Actor edits (remove:ID, move:ID:dx,dy,dyaw): the same views rendered with them applied go to edited/.
  std::vector<std::string> edits;
  // What files to write: nerfstudio (synth/writer.hpp) or drivestudio (street only: synth/drivestudio_writer.hpp).
  std::string layout = "nerfstudio";
};

struct ViewSpec {
  std::string name;   // file stem, e.g. frame_0003 or novel_0001
  std::string kind;   // train | interpolated | extrapolated
  Camera camera;
  double time = 0;    // seconds (actors' poses depend on it)
  SensorEffects sensor;
  std::string camera_name;  // the rig camera that took it ("" for presets without a rig)
};

// The street preset's cameras on the ego vehicle (x forward, y left, z up; origin on the road under the vehicle).
struct SynthRig {
  std::vector<std::string> cameras;     // front, front_left, front_right, left, right, rear (the first N)
  std::vector<Pose> camera_to_vehicle;  // camera frame in OpenCV axes
  std::vector<double> times;            // every view's time, ascending, distinct
  std::vector<Pose> vehicle_to_world;   // per time, on the lane (the sideways-shifted novel views are off it)
};

struct SynthScene {
  Scene scene;
  std::vector<ViewSpec> views;  // training views first, then novel views
  int num_train = 0;
  std::optional<SynthRig> rig;  // street preset
};

// Builds the scene and its views; throws InputError (path "--<option>") for invalid options.
SynthScene build_synth_scene(const SynthOptions& options);

Vec3 color_temperature_rgb(double kelvin);  // normalized so the brightest channel is 1

}  // namespace ttgs::synth
