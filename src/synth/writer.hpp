#pragma once
// Renders a synthetic scene and writes it as a dataset. SynthOptions::layout "drivestudio" writes drivestudio's
// processed layout instead (synth/drivestudio_writer.hpp; street preset), plus synth.json. The nerfstudio layout:
//   images/<view>.png        RGB, with the view's sensor effects
//   masks/<view>.png         nerfstudio mask: 255 = static surface (use), 0 = sky or moving actor (ignore)
//   labels/<view>.png        8-bit labels: 0 static, 1 sky, 2 + k actor k (see actors.json)
//   depth/<view>.png         z-depth, 16-bit, metres = value x depth_unit_scale_factor; 0 = sky / out of range
//   depth/<view>.npy         the same z-depth as float32 metres (0 = sky), exact
//   scaffold.ply             the point scaffold (ply_file_path)
//   transforms.json          cameras (OpenGL camera-to-world), per-frame paths and time, train/test lists
//   actors.json              street preset: each actor's box size and pose at every frame
//   synth.json               the options, seed, layout and every randomized value drawn
// Everything is written to a staging folder that is renamed into place at the end: an interrupted run leaves no
// partial dataset behind.
#include <string>

#include "synth/presets.hpp"

namespace ttgs::synth {

struct WriteSummary {
  int images = 0;
  size_t points = 0;
  double render_seconds = 0, total_seconds = 0;
};

WriteSummary write_synth_dataset(const SynthOptions& options, const std::string& out_dir);

}  // namespace ttgs::synth
