#include "core/distortion.hpp"

#include <cmath>

namespace ttgs {

bool Distortion::is_zero() const {
  return k1 == 0 && k2 == 0 && k3 == 0 && k4 == 0 && k5 == 0 && k6 == 0 && k7 == 0 && p1 == 0 && p2 == 0;
}

std::array<double, 2> Distortion::distort(double x, double y) const {
  const double r2 = x * x + y * y;
  const double num = 1 + r2 * (k1 + r2 * (k2 + r2 * (k3 + r2 * k4)));
  const double den = 1 + r2 * (k5 + r2 * (k6 + r2 * k7));
  const double radial = num / den;
  return {x * radial + 2 * p1 * x * y + p2 * (r2 + 2 * x * x), y * radial + p1 * (r2 + 2 * y * y) + 2 * p2 * x * y};
}

std::array<double, 2> Distortion::undistort(double xd, double yd) const {
  double x = xd, y = yd;
  for (int it = 0; it < 50; ++it) {
    const auto d = distort(x, y);
    const double ex = d[0] - xd, ey = d[1] - yd;
    if (std::abs(ex) < 1e-14 && std::abs(ey) < 1e-14) break;
    // Jacobian by central differences (the distortion is smooth; h is far above rounding).
    const double h = 1e-7;
    const auto dxp = distort(x + h, y), dxm = distort(x - h, y);
    const auto dyp = distort(x, y + h), dym = distort(x, y - h);
    const double a = (dxp[0] - dxm[0]) / (2 * h), b = (dyp[0] - dym[0]) / (2 * h);
    const double c = (dxp[1] - dxm[1]) / (2 * h), d2 = (dyp[1] - dym[1]) / (2 * h);
    const double det = a * d2 - b * c;
    if (std::abs(det) < 1e-12) break;
    x -= (d2 * ex - b * ey) / det;
    y -= (-c * ex + a * ey) / det;
  }
  return {x, y};
}

}  // namespace ttgs
