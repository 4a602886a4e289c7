#pragma once
// Lens distortion on normalized image coordinates (x = X/Z, y = Y/Z), OpenCV conventions:
//   r2 = x² + y², radial = (1 + k1 r2 + k2 r4 + k3 r6 + k4 r8) / (1 + k5 r2 + k6 r4 + k7 r6)
//   x_d = x·radial + 2 p1 x y + p2 (r2 + 2x²),  y_d = y·radial + p1 (r2 + 2y²) + 2 p2 x y
// COLMAP's FULL_OPENCV k4..k6 are the denominator terms here (k5..k7); nerfstudio's OPENCV k4 is the r8 term.
#include <array>
#include <string>

namespace ttgs {

struct Distortion {
  double k1 = 0, k2 = 0, k3 = 0, k4 = 0;  // radial numerator: r2, r4, r6, r8
  double k5 = 0, k6 = 0, k7 = 0;          // radial denominator: r2, r4, r6
  double p1 = 0, p2 = 0;                  // tangential

  bool is_zero() const;
  std::array<double, 2> distort(double x, double y) const;
  // Inverse of distort by Newton iterations; exact to ~1e-12 inside the lens's monotonic range.
  std::array<double, 2> undistort(double xd, double yd) const;
};

}  // namespace ttgs
