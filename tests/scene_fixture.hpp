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

}  // namespace ttgs::test
