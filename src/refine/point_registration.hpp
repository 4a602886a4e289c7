#pragma once
// Cameras registered on LiDAR points (the camera stage's first step when the dataset has LiDAR): the static returns
// are the scene's geometry, exact up to the sensor's noise, so each camera group's correction is the one under
// which every point shows the same colour in its photos as in the other groups' photos. Direct photometric
// alignment on the points themselves, not on a render of the model: a point samples its photo at its own pixel,
// while a render of a crude start blurs and shifts the picture (opaque blobs on a road seen at a grazing angle
// cover the road behind them).
//
// Per round: which points each photo shows (in front, not behind a nearer point, not masked) at the current
// corrections; then Levenberg-Marquardt on all training groups at once: the cost is the Huber distance of each
// point's colour in each training photo from the point's (Huber-weighted) mean colour, the colours eliminated
// point by point (a Schur complement), so the system is 6 x groups in size. Solving the groups one at a time against
// the others' colours does not work: a chain of timestamps drifts as a whole (seen: 0.3-0.55 deg at the end of a
// 20-timestamp street), because each group only agrees with its neighbours. One group (`fixed`) ties the rest to
// the world. Held-out groups (their photos colour nothing) then each register against the training photos'
// median colours. No LibTorch: plain numbers.
#include <cstddef>
#include <vector>

#include "core/math.hpp"
#include "core/pose.hpp"
#include "refine/pose_search.hpp"

namespace ttgs::refine {

struct RegistrationPhoto {
  const float* rgb = nullptr;   // (height, width, 3) row-major, colours in [0, 1]
  const float* mask = nullptr;  // (height, width), 0 = ignore the pixel; null: every pixel counts
  int width = 0, height = 0;
  double fx = 1, fy = 1, cx = 0, cy = 0;  // at this image's resolution (pixel centres at +0.5)
  Pose relative;  // this camera's world-to-camera composed with its group owner's camera-to-world (input poses)
  size_t group = 0;
  bool colours_points = true;   // a training photo: its colours count for the other groups (held-out ones: not)
};

// A group of cameras sharing one correction (pose_correction.hpp's convention): the owner's corrected
// world-to-camera is [Exp(w) (I - Exp(w)) p + v; 0 1] · owner_viewmat with p = (0, 0, pivot), and every photo of
// the group keeps its `relative` transform to the owner.
struct RegistrationGroup {
  Pose owner_viewmat;  // input world-to-camera
  double pivot = 0;
  PoseVector pixels_per_unit{};      // image motion of a unit change of each component (bounds LM steps)
  PoseVector delta{};                // the correction: the start in, the result out
  // Kept as it is (its photos still colour the points): the reference that ties the others' corrections to the
  // world. Photo-consistency alone constrains the groups' poses relative to each other far better than relative
  // to the points (a motion shared by every camera changes little of what they agree on).
  bool fixed = false;
  double cost_start = 0, cost_end = 0;  // at this level, last round: mean Huber cost per residual
  size_t residuals = 0;                 // (point, photo, channel) terms in the last round
};

struct PointRegistrationOptions {
  // Coarse to fine: the photos blurred by a Gaussian of each of these sigmas (fractions of the smaller side; the
  // caller downscales as the camera stage does). Coarser levels than 1% bias the result: the blur mixes occluding
  // and occluded surfaces, sky and cars into the points' colours differently in each view (seen: 0.31 deg mean error
  // with the camera stage's 4% and 2% levels first, 0.07 deg without them).
  std::vector<double> blur{0.01, 0};
  int rounds = 3;          // visibility and colours, then poses
  int iterations = 12;     // LM steps per round (all training groups at once; held-out groups each)
  int final_iterations = 40;  // ... at the last level, where the slow modes of a long chain of groups settle
  double max_extension = 16;  // a kept LM step is doubled while the cost falls, up to this many times its length
  double huber = 0.05;     // colour difference beyond which a residual counts linearly
  size_t min_views = 2;    // other groups' photos a point's colour needs
  int border = 2;          // pixels: points projected nearer the image edge are left out
  PoseSearchOptions search{1e-3, 1.0 / 3, 4, 1e6, 2, 0.005, 0.25};  // steps down to 0.005 px of image motion
};

// One level of a coarse-to-fine schedule (the photos blurred and downscaled by the caller): `groups[g].delta`
// updated in place. `points`: static points in the world frame.
void register_on_points(const std::vector<Vec3>& points, const std::vector<RegistrationPhoto>& photos,
                        std::vector<RegistrationGroup>& groups, const PointRegistrationOptions& o = {});

// The world-to-camera transform of a photo of group `g` under the correction `delta`.
Pose corrected_world_to_camera(const RegistrationPhoto& photo, const RegistrationGroup& group, const PoseVector& delta);

}  // namespace ttgs::refine
