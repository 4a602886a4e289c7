#pragma once
// A small synthetic object scene for tests that need a dataset with exact ground truth.
#include <string>

#include "synth/writer.hpp"

namespace ttgs::test {

// `views` training + 2 novel views at 64x48, 3000-4000 scaffold points, no sensor effects.
inline synth::SynthOptions small_object_scene(int views, int64_t points = 3000) {
  synth::SynthOptions o;
  o.views = views;
  o.novel = 2;
  o.width = 64;
  o.height = 48;
  o.scaffold.points = points;
  o.randomize.sensor = false;
  return o;
}

// A street clip with LiDAR: `timestamps` training timestamps seen by `cameras` rig cameras at width x height,
// `novel` novel timestamps, 3000 scaffold points, no sensor effects.
inline synth::SynthOptions small_street_scene(int timestamps, int cameras, int width, int height, int novel = 0) {
  synth::SynthOptions o = small_object_scene(timestamps, 3000);
  o.preset = "street";
  o.cameras = cameras;
  o.novel = novel;
  o.width = width;
  o.height = height;
  o.scaffold.lidar = true;
  return o;
}

}  // namespace ttgs::test
