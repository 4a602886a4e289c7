#pragma once
// Writes a street scene in drivestudio's processed layout (io/drivestudio.hpp), for `ttgs synth --layout
// drivestudio`: the training timestamps only (frame t = the t-th timestamp, 0.1 s apart; the novel views lie between
// frames or off the rig, which the layout cannot hold), camera c = the rig's c-th camera.
//   images/<t>_<c>.jpg                   the view as the nerfstudio layout renders it, JPEG quality 95
//   extrinsics/<c>.txt, intrinsics/<c>.txt, ego_pose/<t>.txt   the rig (extrinsics in Waymo's camera axes)
//   sky_masks/<t>_<c>.png                255 = sky
//   dynamic_masks/{all,vehicle}/<t>_<c>.png   255 = a car (every car moves); human/ all 0
//   lidar/<t>.bin                        with --lidar: 14 float32 per return in the vehicle frame; flows 0 with flow
//                                        class -1 (no flow label), ground 0, elongation 0, laser id 0 (TOP)
//   instances/instances_info.json, instances/frame_instances.json   every car at every frame, class "Vehicle"
#include <string>

#include "synth/presets.hpp"
#include "synth/writer.hpp"

namespace ttgs::synth {

// Writes the files into the existing folder `dir` (write_synth_dataset's staging folder).
WriteSummary write_drivestudio_files(const SynthScene& scene, const SynthOptions& options, const std::string& dir);

}  // namespace ttgs::synth
