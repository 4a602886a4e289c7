#pragma once
// Where a projected Gaussian can composite anything, for binning and for the tile loops to skip work (LibTorch-free).
// A pixel takes part when its centre lies inside the Gaussian's square extent (centre ± radius) and alpha =
// opacity · exp(-Q/2) >= alpha_min, with Q = a dx² + 2 b dx dy + c dy² (the conic): an ellipse Q <= τ,
// τ = 2 ln(opacity / alpha_min). The ranges here are conservative — the ellipse is enlarged slightly, so rounding never
// drops a pixel that the exact per-pixel test accepts — and that test stays the judge: skipping what lies outside
// changes no result.
#include <algorithm>
#include <cmath>

namespace ttgs::render {

// Inclusive pixel range [lo, hi] whose centres lie within [c - r, c + r], clipped to [clip_lo, clip_hi].
template <typename S>
inline void pixel_range(S c, S r, int clip_lo, int clip_hi, int& lo, int& hi) {
  lo = std::max(clip_lo, int(std::ceil(c - r - S(0.5))));
  hi = std::min(clip_hi, int(std::floor(c + r - S(0.5))));
}

template <typename S>
class FootprintOf {
 public:
  // tau = 2 ln(opacity / alpha_min), negative when the opacity is below alpha_min (Projected::alpha_tau).
  FootprintOf(S u, S v, S a, S b, S c, S tau, int radius)
      : u_(u), v_(v), a_(a), b_(b), c_(c), radius_(radius) {
    empty_ = radius <= 0 || !(tau >= 0);  // alpha <= opacity < alpha_min everywhere
    const S det = a * c - b * b;
    tau_ = empty_ ? S(0) : tau * S(1 + 1e-3) + S(1e-3);
    ellipse_ = !empty_ && a > 0 && c > 0 && det > 0 && std::isfinite(det) && std::isfinite(tau_);
    if (ellipse_) {
      half_w_ = std::sqrt(tau_ * c / det);
      half_h_ = std::sqrt(tau_ * a / det);
    }
  }
  bool empty() const { return empty_; }

  // Pixel rows it can touch within [clip_lo, clip_hi] (lo > hi: none).
  void rows(int clip_lo, int clip_hi, int& lo, int& hi) const {
    pixel_range(v_, S(radius_), clip_lo, clip_hi, lo, hi);
    if (empty_) hi = lo - 1;
    if (!ellipse_) return;
    int elo, ehi;
    pixel_range(v_, half_h_, clip_lo, clip_hi, elo, ehi);
    lo = std::max(lo, elo);
    hi = std::min(hi, ehi);
  }

  // Pixel columns it can touch on any of the rows y0..y1 (for binning a band of tiles).
  void columns_over_rows(int y0, int y1, int clip_lo, int clip_hi, int& lo, int& hi) const {
    pixel_range(u_, S(radius_), clip_lo, clip_hi, lo, hi);
    if (empty_) hi = lo - 1;
    if (!ellipse_ || lo > hi) return;
    // The ellipse's right edge x_hi(dy) = (-b dy + √D(dy)) / a is concave in dy, its left edge convex: over an
    // interval of dy their extremes lie at the ellipse's rightmost / leftmost point when inside it, else at an end.
    const S dy0 = std::max(S(y0) + S(0.5) - v_, -half_h_), dy1 = std::min(S(y1) + S(0.5) - v_, half_h_);
    if (dy0 > dy1) {
      hi = lo - 1;
      return;
    }
    const S turn = b_ * half_w_ / c_;  // rightmost point at dy = -turn, leftmost at dy = +turn
    const S right = edge(std::clamp(-turn, dy0, dy1), +1), left = edge(std::clamp(turn, dy0, dy1), -1);
    int elo, ehi;
    elo = int(std::ceil(u_ + left - S(0.5)));
    ehi = int(std::floor(u_ + right - S(0.5)));
    lo = std::max(lo, elo);
    hi = std::min(hi, ehi);
  }

  // Pixel rows it can touch in any of the columns x0..x1, within [clip_lo, clip_hi] (the transpose of the above:
  // a Gaussian at a tile's corner reaches only some of the tile's rows).
  void rows_over_columns(int x0, int x1, int clip_lo, int clip_hi, int& lo, int& hi) const {
    rows(clip_lo, clip_hi, lo, hi);
    if (!ellipse_ || lo > hi) return;
    const S dx0 = std::max(S(x0) + S(0.5) - u_, -half_w_), dx1 = std::min(S(x1) + S(0.5) - u_, half_w_);
    if (dx0 > dx1) {
      hi = lo - 1;
      return;
    }
    const S turn = b_ * half_h_ / a_;  // lowest point (largest dy) at dx = -turn, highest at dx = +turn
    const S bottom = edge_y(std::clamp(-turn, dx0, dx1), +1), top = edge_y(std::clamp(turn, dx0, dx1), -1);
    lo = std::max(lo, int(std::ceil(v_ + top - S(0.5))));
    hi = std::min(hi, int(std::floor(v_ + bottom - S(0.5))));
  }

 private:
  // dx of the ellipse's right (+1) or left (-1) edge at dy.
  S edge(S dy, int side) const {
    const S d = std::max(S(0), b_ * b_ * dy * dy - a_ * (c_ * dy * dy - tau_));
    return (-b_ * dy + side * std::sqrt(d)) / a_;
  }
  // dy of the ellipse's lower (+1) or upper (-1) edge at dx.
  S edge_y(S dx, int side) const {
    const S d = std::max(S(0), b_ * b_ * dx * dx - c_ * (a_ * dx * dx - tau_));
    return (-b_ * dx + side * std::sqrt(d)) / c_;
  }

  S u_, v_, a_, b_, c_, tau_ = 0, half_w_ = 0, half_h_ = 0;
  int radius_;
  bool empty_ = false, ellipse_ = false;
};
using Footprint = FootprintOf<double>;

}  // namespace ttgs::render
