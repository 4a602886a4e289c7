#include "render/rasterize.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "core/parallel.hpp"

namespace ttgs::render {
namespace {

constexpr int kTilePixels = kTileSize * kTileSize;

// exp for x <= 0, vectorizable: 2^round(x log2 e) times a degree-6 polynomial of the remainder (|y| <= ln2 / 2);
// relative error about 1e-7, below float rounding of the inputs. Double precision uses std::exp.
// Inputs below -30 are clamped: exp(-30) · opacity is far below alpha_min (exp(-5.6) at opacity 1), so the result
// is rejected either way, and products of it stay clear of denormals (which cost ~100 cycles each).
inline float exp_kernel(float x) {
  x = std::max(x, -30.0f);
  const float t = x * 1.4426950408889634f;
  const int i = int(t + (t >= 0 ? 0.5f : -0.5f));
  const float y = (t - float(i)) * 0.6931471805599453f;
  const float p = 1.0f + y * (1.0f + y * (0.5f + y * (1.0f / 6 + y * (1.0f / 24 + y * (1.0f / 120 + y * (1.0f / 720))))));
  const int bits = (i + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}
inline double exp_kernel(double x) { return std::exp(x); }

// Inclusive pixel range [lo, hi] whose centres lie within [c - r, c + r], clipped to [clip_lo, clip_hi].
inline void pixel_range(double c, int r, int clip_lo, int clip_hi, int& lo, int& hi) {
  lo = std::max(clip_lo, int(std::ceil(c - r - 0.5)));
  hi = std::min(clip_hi, int(std::floor(c + r - 0.5)));
}

// One Gaussian's screen-space parameters, loaded once per tile-list entry.
template <typename T>
struct Splat {
  T u, v, a, b, c, o, z, col[3];
  int r;
  Splat(const Projected<T>& p, int32_t id)
      : u(p.mean2d[2 * size_t(id)]), v(p.mean2d[2 * size_t(id) + 1]), a(p.conic[3 * size_t(id)]),
        b(p.conic[3 * size_t(id) + 1]), c(p.conic[3 * size_t(id) + 2]), o(p.opacity[size_t(id)]),
        z(p.depth[size_t(id)]), col{p.color[3 * size_t(id)], p.color[3 * size_t(id) + 1], p.color[3 * size_t(id) + 2]},
        r(p.radius[size_t(id)]) {}
};

// One tile row of front-to-back compositing for one Gaussian: columns c0..c1 of the 16 take part. A fixed trip
// count, restrict pointers and selects between computed values let GCC vectorize it (SSE2 is enough).
template <typename T>
void composite_row(const Splat<T>& s, T px0, T dy, int c0, int c1, int32_t jj, T amin, T amax, T tmin,
                   T* __restrict trans, T* __restrict cr, T* __restrict cg, T* __restrict cb, T* __restrict dep,
                   int32_t* __restrict end, int32_t* __restrict live) {
  const T u = s.u, a = s.a, b = s.b, c = s.c, o = s.o, z = s.z, r = s.col[0], g = s.col[1], bl = s.col[2];
  const T cdy = c * dy * dy;
#pragma omp simd
  for (int col = 0; col < kTileSize; ++col) {
    const T dx = px0 + T(col) - u;
    const T power = T(-0.5) * (a * dx * dx + cdy) - b * dx * dy;
    const T alpha = std::min(amax, o * exp_kernel(power));
    const T next = trans[col] * (1 - alpha);
    const int32_t lv = live[col];
    const bool candidate = (col >= c0) & (col <= c1) & (lv != 0) & (power <= T(0)) & (alpha >= amin);
    const bool stop = candidate & (next < tmin);
    const bool take = candidate & !stop;
    const T weight = alpha * trans[col];
    const T w = take ? weight : T(0);
    cr[col] += w * r;
    cg[col] += w * g;
    cb[col] += w * bl;
    dep[col] += w * z;
    trans[col] = take ? next : trans[col];
    end[col] = take ? jj : end[col];
    live[col] = lv * (1 - int32_t(stop));  // arithmetic rather than a select: GCC 12 vectorizes only this form
  }
}

template <typename T>
struct SplatGrad {
  T u = 0, v = 0, a = 0, b = 0, c = 0, o = 0, r = 0, g = 0, bl = 0, z = 0;
};

// One tile row of the backward pass for Gaussian number j of the tile list (back to front): rewinds each pixel's
// transmittance, updates the sums of what lies behind, and adds the row's share of the Gaussian's gradient to acc.
template <typename T>
void backprop_row(const Splat<T>& s, T px0, T dy, int c0, int c1, int32_t j, T amin, T amax,
                  const int32_t* __restrict end, T* __restrict trans, const T* __restrict tfin, const T* __restrict gr,
                  const T* __restrict gg, const T* __restrict gb, const T* __restrict ga, const T* __restrict gd,
                  const T* __restrict bgdot, T* __restrict sr, T* __restrict sg, T* __restrict sb, T* __restrict sd,
                  T* __restrict sa, SplatGrad<T>& acc) {
  const T u = s.u, a = s.a, b = s.b, c = s.c, o = s.o, z = s.z, cr = s.col[0], cg = s.col[1], cb = s.col[2];
  T g_u = 0, g_v = 0, g_a = 0, g_b = 0, g_c = 0, g_o = 0, g_r = 0, g_g = 0, g_bl = 0, g_z = 0;
#pragma omp simd reduction(+ : g_u, g_v, g_a, g_b, g_c, g_o, g_r, g_g, g_bl, g_z)
  for (int col = 0; col < kTileSize; ++col) {
    const T dx = px0 + T(col) - u;
    const T power = T(-0.5) * (a * dx * dx + c * dy * dy) - b * dx * dy;
    const T gauss = exp_kernel(power);
    const T raw = o * gauss;
    const T alpha = std::min(amax, raw);
    // Exactly the forward's decision: in front of the pixel's end, inside the support, above alpha_min.
    const bool took = (col >= c0) & (col <= c1) & (j < end[col]) & (power <= T(0)) & (alpha >= amin);
    const T one_minus = 1 - alpha, inv = 1 / one_minus;
    const T rewound = trans[col] * inv;
    const T tk = took ? rewound : trans[col];
    const T weight = alpha * tk;
    const T w = took ? weight : T(0);
    const T da_all = gr[col] * (cr * tk - sr[col] * inv) + gg[col] * (cg * tk - sg[col] * inv) +
                     gb[col] * (cb * tk - sb[col] * inv) - bgdot[col] * tfin[col] * inv + gd[col] * (z * tk - sd[col] * inv) +
                     ga[col] * (tk - sa[col] * inv);
    const T da = (took & (raw < amax)) ? da_all : T(0);  // no gradient through a clamped alpha
    g_r += w * gr[col];
    g_g += w * gg[col];
    g_bl += w * gb[col];
    g_z += w * gd[col];
    sr[col] += w * cr;
    sg[col] += w * cg;
    sb[col] += w * cb;
    sd[col] += w * z;
    sa[col] += w;
    trans[col] = tk;
    g_o += da * gauss;
    const T dp = da * alpha;  // alpha = o · exp(power)
    g_u += dp * (a * dx + b * dy);
    g_v += dp * (b * dx + c * dy);
    g_a += dp * T(-0.5) * dx * dx;
    g_b += -dp * dx * dy;
    g_c += dp * T(-0.5) * dy * dy;
  }
  acc.u += g_u;
  acc.v += g_v;
  acc.a += g_a;
  acc.b += g_b;
  acc.c += g_c;
  acc.o += g_o;
  acc.r += g_r;
  acc.g += g_g;
  acc.bl += g_bl;
  acc.z += g_z;
}

}  // namespace

template <typename T>
void bin_gaussians(const Projected<T>& proj, const Intrinsics& intr, TileBins& bins) {
  bins.tiles_x = (intr.width + kTileSize - 1) / kTileSize;
  bins.tiles_y = (intr.height + kTileSize - 1) / kTileSize;
  const int64_t tiles = int64_t(bins.tiles_x) * bins.tiles_y;
  std::vector<int64_t> count(size_t(tiles) + 1, 0);
  const auto for_tiles = [&](int64_t i, auto&& fn) {
    int x0, x1, y0, y1;
    pixel_range(double(proj.mean2d[2 * i]), proj.radius[i], 0, intr.width - 1, x0, x1);
    pixel_range(double(proj.mean2d[2 * i + 1]), proj.radius[i], 0, intr.height - 1, y0, y1);
    if (x0 > x1 || y0 > y1) return;
    for (int ty = y0 / kTileSize; ty <= y1 / kTileSize; ++ty)
      for (int tx = x0 / kTileSize; tx <= x1 / kTileSize; ++tx) fn(int64_t(ty) * bins.tiles_x + tx);
  };
  for (int64_t i = 0; i < proj.n; ++i)
    if (proj.radius[i] > 0) for_tiles(i, [&](int64_t t) { ++count[size_t(t) + 1]; });
  for (int64_t t = 0; t < tiles; ++t) count[size_t(t) + 1] += count[size_t(t)];
  bins.offsets = count;
  bins.ids.resize(size_t(count.back()));
  std::vector<int64_t> cursor(count.begin(), count.end() - 1);
  for (int64_t i = 0; i < proj.n; ++i)
    if (proj.radius[i] > 0) for_tiles(i, [&](int64_t t) { bins.ids[size_t(cursor[size_t(t)]++)] = int32_t(i); });
  parallel_for(0, tiles, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t)
      std::sort(bins.ids.begin() + bins.offsets[size_t(t)], bins.ids.begin() + bins.offsets[size_t(t) + 1],
                [&](int32_t a, int32_t b) {
                  const T za = proj.depth[size_t(a)], zb = proj.depth[size_t(b)];
                  return za < zb || (za == zb && a < b);
                });
  }, 4);
}

// Forward, one tile at a time: the outer loop runs over the tile's Gaussians front to back, the inner loop over the
// pixels of the Gaussian's square inside the tile (vectorized), with per-pixel state in small arrays.
template <typename T>
void rasterize_forward(const Projected<T>& proj, const TileBins& bins, const Intrinsics& intr, const RasterConfig& cfg,
                       const T* bg, bool per_pixel_bg, RasterOutput<T>& out) {
  const int W = intr.width, H = intr.height;
  const size_t npx = size_t(W) * H;
  out.rgb.assign(npx * 3, T(0));
  out.alpha.assign(npx, T(0));
  out.depth.assign(npx, T(0));
  out.final_transmittance.assign(npx, T(1));
  out.end.assign(npx, 0);
  const int64_t tiles = int64_t(bins.tiles_x) * bins.tiles_y;
  const T amin = T(cfg.alpha_min), amax = T(cfg.alpha_max), tmin = T(cfg.transmittance_min);
  // Tiles are dealt round-robin to the workers: dense regions (the floor, an object) spread over all of them.
  const int64_t workers = std::max<int64_t>(1, std::min<int64_t>(num_threads(), tiles));
  parallel_for(0, workers, [&](int64_t w0, int64_t w1) {
    alignas(64) T trans[kTilePixels], cr[kTilePixels], cg[kTilePixels], cb[kTilePixels], dep[kTilePixels];
    alignas(64) int32_t end[kTilePixels], live[kTilePixels];
    for (int64_t w = w0; w < w1; ++w)
      for (int64_t t = w; t < tiles; t += workers) {
      const int x0 = int(t % bins.tiles_x) * kTileSize, y0 = int(t / bins.tiles_x) * kTileSize;
      const int x1 = std::min(W, x0 + kTileSize) - 1, y1 = std::min(H, y0 + kTileSize) - 1;
      for (int p = 0; p < kTilePixels; ++p) {
        trans[p] = 1;
        cr[p] = cg[p] = cb[p] = dep[p] = 0;
        end[p] = 0;
        live[p] = 1;
      }
      // Pixels outside the image (partial tiles) start dead.
      for (int p = 0; p < kTilePixels; ++p) live[p] = (p % kTileSize) <= x1 - x0 && (p / kTileSize) <= y1 - y0;
      int live_count = 1;
      const int64_t begin = bins.offsets[size_t(t)], count = bins.offsets[size_t(t) + 1] - begin;
      for (int64_t j = 0; j < count && live_count > 0; ++j) {
        const Splat<T> s(proj, bins.ids[size_t(begin + j)]);
        int gx0, gx1, gy0, gy1;
        pixel_range(double(s.u), s.r, x0, x1, gx0, gx1);
        pixel_range(double(s.v), s.r, y0, y1, gy0, gy1);
        const int32_t jj = int32_t(j + 1);
        for (int y = gy0; y <= gy1; ++y) {
          const T dy = T(y) + T(0.5) - s.v;
          const int row = (y - y0) * kTileSize;
          composite_row(s, T(x0) + T(0.5), dy, gx0 - x0, gx1 - x0, jj, amin, amax, tmin, trans + row, cr + row, cg + row,
                        cb + row, dep + row, end + row, live + row);
        }
        if ((j & 15) == 15) {  // every 16 entries: stop when every pixel of the tile is done
          int any = 0;
          for (int p = 0; p < kTilePixels; ++p) any |= live[p];
          live_count = any;
        }
      }
      for (int y = y0; y <= y1; ++y)
        for (int x = x0; x <= x1; ++x) {
          const int p = (y - y0) * kTileSize + (x - x0);
          const size_t q = size_t(y) * W + x;
          const T* b = per_pixel_bg ? bg + 3 * q : bg;
          out.rgb[3 * q] = cr[p] + trans[p] * b[0];
          out.rgb[3 * q + 1] = cg[p] + trans[p] * b[1];
          out.rgb[3 * q + 2] = cb[p] + trans[p] * b[2];
          out.alpha[q] = 1 - trans[p];
          out.depth[q] = dep[p];
          out.final_transmittance[q] = trans[p];
          out.end[q] = end[p];
        }
    }
  }, 1);
}

// Backward, one tile at a time, back to front over the tile's list: each pixel rewinds its transmittance and keeps
// the colour/depth/alpha sums of what lies behind; the Gaussian's gradient is the sum over its pixels (vectorized).
template <typename T>
void rasterize_backward(const Projected<T>& proj, const TileBins& bins, const Intrinsics& intr, const RasterConfig& cfg,
                        const T* bg, bool per_pixel_bg, const RasterOutput<T>& fwd, const T* d_rgb, const T* d_alpha,
                        const T* d_depth, ProjectedGrads<T>& grad, std::vector<T>& d_bg) {
  const int W = intr.width, H = intr.height;
  const int64_t n = proj.n, tiles = int64_t(bins.tiles_x) * bins.tiles_y;
  d_bg.assign(per_pixel_bg ? size_t(W) * H * 3 : 3, T(0));
  const T amin = T(cfg.alpha_min), amax = T(cfg.alpha_max);
  // One gradient buffer per block of tiles, summed in block order: deterministic for a fixed thread count.
  const int64_t blocks = std::max<int64_t>(1, std::min<int64_t>(num_threads(), tiles));
  std::vector<ProjectedGrads<T>> partial(static_cast<size_t>(blocks));
  std::vector<std::array<T, 3>> partial_bg(static_cast<size_t>(blocks), std::array<T, 3>{0, 0, 0});
  parallel_for(0, blocks, [&](int64_t b0, int64_t b1) {
    alignas(64) T trans[kTilePixels], tfin[kTilePixels], gr[kTilePixels], gg[kTilePixels], gb[kTilePixels],
        ga[kTilePixels], gd[kTilePixels], bgdot[kTilePixels], sr[kTilePixels], sg[kTilePixels], sb[kTilePixels],
        sd[kTilePixels], sa[kTilePixels];
    alignas(64) int32_t end[kTilePixels];
    for (int64_t blk = b0; blk < b1; ++blk) {
      ProjectedGrads<T>& g = partial[size_t(blk)];
      g.resize(n);
      for (int64_t t = blk; t < tiles; t += blocks) {  // round-robin, as in the forward pass
        const int x0 = int(t % bins.tiles_x) * kTileSize, y0 = int(t / bins.tiles_x) * kTileSize;
        const int x1 = std::min(W, x0 + kTileSize) - 1, y1 = std::min(H, y0 + kTileSize) - 1;
        int32_t max_end = 0;
        for (int p = 0; p < kTilePixels; ++p) {
          end[p] = 0;
          trans[p] = tfin[p] = 1;
          gr[p] = gg[p] = gb[p] = ga[p] = gd[p] = bgdot[p] = sr[p] = sg[p] = sb[p] = sd[p] = sa[p] = 0;
        }
        for (int y = y0; y <= y1; ++y)
          for (int x = x0; x <= x1; ++x) {
            const int p = (y - y0) * kTileSize + (x - x0);
            const size_t q = size_t(y) * W + x;
            end[p] = fwd.end[q];
            max_end = std::max(max_end, end[p]);
            trans[p] = tfin[p] = fwd.final_transmittance[q];
            if (d_rgb) {
              gr[p] = d_rgb[3 * q];
              gg[p] = d_rgb[3 * q + 1];
              gb[p] = d_rgb[3 * q + 2];
            }
            ga[p] = d_alpha ? d_alpha[q] : T(0);
            gd[p] = d_depth ? d_depth[q] : T(0);
            const T* b = per_pixel_bg ? bg + 3 * q : bg;
            bgdot[p] = gr[p] * b[0] + gg[p] * b[1] + gb[p] * b[2];
            for (int ch = 0; ch < 3; ++ch) {
              const T v = tfin[p] * (ch == 0 ? gr[p] : ch == 1 ? gg[p] : gb[p]);
              if (per_pixel_bg) d_bg[3 * q + ch] = v;
              else partial_bg[size_t(blk)][size_t(ch)] += v;
            }
          }
        const int32_t* ids = bins.ids.data() + bins.offsets[size_t(t)];
        for (int32_t j = max_end - 1; j >= 0; --j) {
          const int32_t id = ids[j];
          const Splat<T> s(proj, id);
          int gx0, gx1, gy0, gy1;
          pixel_range(double(s.u), s.r, x0, x1, gx0, gx1);
          pixel_range(double(s.v), s.r, y0, y1, gy0, gy1);
          SplatGrad<T> acc;
          for (int y = gy0; y <= gy1; ++y) {
            const T dy = T(y) + T(0.5) - s.v;
            const int row = (y - y0) * kTileSize;
            backprop_row(s, T(x0) + T(0.5), dy, gx0 - x0, gx1 - x0, j, amin, amax, end + row, trans + row, tfin + row,
                         gr + row, gg + row, gb + row, ga + row, gd + row, bgdot + row, sr + row, sg + row, sb + row,
                         sd + row, sa + row, acc);
          }
          const size_t i = size_t(id);
          g.mean2d[2 * i] += acc.u;
          g.mean2d[2 * i + 1] += acc.v;
          g.conic[3 * i] += acc.a;
          g.conic[3 * i + 1] += acc.b;
          g.conic[3 * i + 2] += acc.c;
          g.opacity[i] += acc.o;
          g.color[3 * i] += acc.r;
          g.color[3 * i + 1] += acc.g;
          g.color[3 * i + 2] += acc.bl;
          g.depth[i] += acc.z;
        }
      }
    }
  }, 1);
  grad = std::move(partial[0]);
  for (size_t blk = 1; blk < partial.size(); ++blk) {
    const ProjectedGrads<T>& g = partial[blk];
    for (size_t i = 0; i < grad.mean2d.size(); ++i) grad.mean2d[i] += g.mean2d[i];
    for (size_t i = 0; i < grad.conic.size(); ++i) grad.conic[i] += g.conic[i];
    for (size_t i = 0; i < grad.depth.size(); ++i) grad.depth[i] += g.depth[i];
    for (size_t i = 0; i < grad.opacity.size(); ++i) grad.opacity[i] += g.opacity[i];
    for (size_t i = 0; i < grad.color.size(); ++i) grad.color[i] += g.color[i];
  }
  if (!per_pixel_bg)
    for (const auto& pb : partial_bg)
      for (int ch = 0; ch < 3; ++ch) d_bg[size_t(ch)] += pb[size_t(ch)];
}

#define TTGS_INSTANTIATE(T)                                                                                          \
  template void bin_gaussians<T>(const Projected<T>&, const Intrinsics&, TileBins&);                                \
  template void rasterize_forward<T>(const Projected<T>&, const TileBins&, const Intrinsics&, const RasterConfig&,   \
                                     const T*, bool, RasterOutput<T>&);                                             \
  template void rasterize_backward<T>(const Projected<T>&, const TileBins&, const Intrinsics&, const RasterConfig&, \
                                      const T*, bool, const RasterOutput<T>&, const T*, const T*, const T*,         \
                                      ProjectedGrads<T>&, std::vector<T>&);
TTGS_INSTANTIATE(float)
TTGS_INSTANTIATE(double)

}  // namespace ttgs::render
