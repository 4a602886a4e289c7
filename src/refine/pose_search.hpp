#pragma once
// One frame's camera correction in the camera stage, found by Levenberg-Marquardt on the frame's own image residual
// (direct image alignment): at the best pose so far the caller measures the residual's Jacobian in the 6 pose
// parameters (finite differences of renders) and hands over the normal equations JᵀJ, Jᵀr; the next pose is
// the damped Gauss-Newton step from there, never longer than `max_step_px` of image motion. A pose whose cost is
// not lower is undone (the frame stays at its best pose) and the damping grows, shortening the next step; an
// accepted pose lowers it. So a frame's cost never rises, and a weakly constrained direction (a shift along the
// optical axis) moves only as far as the residual supports — no per-coordinate normalisation that would push it
// as hard as the well constrained ones. No LibTorch: plain numbers, one frame at a time.
#include <array>
#include <limits>

namespace ttgs::refine {

using PoseVector = std::array<double, 6>;  // axis-angle rotation (3), then translation (3)

struct NormalEquations {
  std::array<double, 36> jtj{};  // JᵀJ, row-major 6x6
  PoseVector jtr{};              // Jᵀr
};

struct PoseSearchOptions {
  double lambda = 1e-3;         // initial damping (relative to JᵀJ's diagonal)
  double lambda_down = 1.0 / 3;  // after an accepted step
  double lambda_up = 4;          // after an undone step
  double max_lambda = 1e6;       // beyond it the frame has settled
  double max_step_px = 2;        // longest step, in pixels of image motion at the current level
  double min_step_px = 0.05;     // a proposed step shorter than this: settled at this level
  double jacobian_step_px = 0.25;  // finite-difference step, in pixels of image motion
};

struct FramePoseSearch {
  PoseVector delta{};  // the pose to measure next
  PoseVector best{};   // the pose with the lowest cost measured at this level
  double best_cost = std::numeric_limits<double>::infinity();
  NormalEquations system;  // at `best`
  double lambda = PoseSearchOptions{}.lambda;
  int accepted = 0, rejected = 0;
  bool settled = false;  // converged (or stuck) at this level: it keeps its best pose until the next level
};

// Feeds the cost measured at `s.delta`. Returns true when it is the new best: the caller then measures the normal
// equations there and passes them to pose_search_propose; otherwise the frame is back at its best pose.
bool pose_search_measure(FramePoseSearch& s, double cost, const PoseSearchOptions& o = {});

// Sets `s.delta` to the next pose to measure: the damped Gauss-Newton step from `s.best` (`system`: the normal
// equations at `s.best` when measure() just accepted, else null to reuse the stored ones). `pixels_per_unit`:
// image motion, in pixels at the current level, of a unit change of each component (bounds the step).
void pose_search_propose(FramePoseSearch& s, const NormalEquations* system, const PoseVector& pixels_per_unit,
                         const PoseSearchOptions& o = {});

// (JᵀJ + λ·diag(JᵀJ)) x = -Jᵀr by Cholesky; zeros when the matrix is not positive definite.
PoseVector solve_damped(const NormalEquations& system, double lambda);

// The integer image shift (|dx|, |dy| <= radius) that best moves `moving` onto `fixed`, fixed(x, y) ≈
// moving(x - dx, y - dy), by the weighted mean squared difference over the overlap (shifts whose overlap holds less
// than half the weight are skipped). Images (H, W, C) row-major; weight (H, W), 0 = ignore.
struct ImageShift {
  int dx = 0, dy = 0;
  double cost = 0;
};
ImageShift best_image_shift(const float* moving, const float* fixed, const float* weight, int height, int width,
                            int channels, int radius);

// A new pyramid level: costs are not comparable across levels, so the frame restarts from its best pose with a
// fresh cost record and damping.
void pose_search_new_level(FramePoseSearch& s, const PoseSearchOptions& o = {});

}  // namespace ttgs::refine
