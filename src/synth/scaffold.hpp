#pragma once
// The geometry scaffold written as the dataset's point cloud (`ply_file_path`): points on the static surfaces that
// the training cameras see, coloured by the rendered radiance there, with optional position noise, outliers, and a
// LiDAR-like scan pattern. Deterministic in the seed.
#include "core/splat_data.hpp"
#include "synth/presets.hpp"

namespace ttgs::synth {

PointCloud make_scaffold(const SynthScene& scene, const ScaffoldOptions& options, uint64_t seed);

}  // namespace ttgs::synth
