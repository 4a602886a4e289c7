#pragma once
// An actor's track smoothed over time: its per-timestamp box poses are measurements of a vehicle that cannot jump,
// so the track that best balances them (each weighted by its own uncertainty) against its jerk is a better estimate
// of every one of them — a box fitted to its LiDAR returns (sharp) pulls its neighbours, a box nothing corrected (as
// noisy as the log's boxes) follows them. Least squares on third divided differences of x, y and yaw, each on its
// own (a banded system): steady braking or a steady turn costs nothing. No LibTorch: plain numbers.
#include <vector>

namespace ttgs::refine {

struct TrackSample {
  double time = 0;      // seconds, ascending along the track
  double x = 0, y = 0;  // box centre in the ground plane (scene units)
  double yaw = 0;       // radians
  double sigma_position = 1, sigma_yaw = 1;  // the sample's uncertainty (1-sigma)
};

struct TrackSmoothingOptions {
  double jerk = 10;     // 1-sigma of the vehicle's jerk (change of acceleration), scene units / s³
  double yaw_jerk = 3;  // 1-sigma of the change of its angular acceleration, rad / s³
};

// The smoothed samples (same order, times and sigmas). Four samples or fewer come back unchanged; yaw is
// unwrapped along the track before smoothing (so the result may differ from the input by multiples of 2π).
std::vector<TrackSample> smooth_track(const std::vector<TrackSample>& samples, const TrackSmoothingOptions& o = {});

}  // namespace ttgs::refine
