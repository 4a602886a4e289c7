#pragma once
// A tracked box fitted to the actor's own LiDAR returns at one timestamp: the returns on a vehicle lie on the
// vertical faces of its box that face the sensor, so the correction (a shift along the box's x and y axes and a turn
// about its z axis, the actor stage's) that brings the returns onto the nearest of those faces is the box's error.
// Gauss-Newton on the returns' distances to their face, the returns farther than a shrinking reach left out (the
// roof, the wheels, a pole beside the car). With one face seen (a car straight ahead), the box is centred on the
// returns' extent along that face (vehicles are symmetric). Each timestamp on its own: no other timestamp's error
// leaks in. No LibTorch: plain numbers.
#include <optional>
#include <vector>

#include "core/math.hpp"

namespace ttgs::refine {

struct BoxCorrection {  // box frame: x -> R(dyaw) x + (dx, dy, 0), applied before the box-to-world pose
  double dx = 0, dy = 0, dyaw = 0;
};

struct BoxFitOptions {
  int iterations = 12;
  double max_distance = 0.6;   // returns farther from a face are left out at the first iteration (scene units)
  double min_distance = 0.1;   // ... shrinking to this at the last
  size_t min_points = 30;      // fewer returns on the faces: no fit
};

// `returns`: the actor's returns in the box frame of its input pose; `sensor`: the sensor's position in that frame;
// `half`: the box's half extents. The correction c with c⁻¹(returns) on the faces, or none with too few returns
// near the faces (or the sensor inside the box's footprint).
std::optional<BoxCorrection> fit_box(const std::vector<Vec3>& returns, const Vec3& sensor, const Vec3& half,
                                     const BoxFitOptions& o = {});

}  // namespace ttgs::refine
