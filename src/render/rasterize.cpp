#include "render/rasterize.hpp"

#include <algorithm>
#include <array>
#include <cmath>

#include "core/parallel.hpp"

namespace ttgs::render {
namespace {

// Inclusive pixel range [lo, hi] whose centres lie within [c - r, c + r], clipped to [0, size - 1].
void pixel_range(double c, int r, int size, int& lo, int& hi) {
  lo = std::max(0, int(std::ceil(c - r - 0.5)));
  hi = std::min(size - 1, int(std::floor(c + r - 0.5)));
}

// What one Gaussian contributes at one pixel centre: false when it does not touch it.
template <typename T>
inline bool evaluate(const Projected<T>& p, int32_t id, T px, T py, const RasterConfig& cfg, T& alpha, T& dx, T& dy,
                     T& gauss) {
  const T r = T(p.radius[id]);
  dx = px - p.mean2d[2 * id];
  dy = py - p.mean2d[2 * id + 1];
  if (std::abs(dx) > r || std::abs(dy) > r) return false;
  const T* k = &p.conic[3 * id];
  const T power = T(-0.5) * (k[0] * dx * dx + k[2] * dy * dy) - k[1] * dx * dy;
  if (power > T(0)) return false;
  gauss = std::exp(power);
  alpha = std::min(T(cfg.alpha_max), p.opacity[id] * gauss);
  return alpha >= T(cfg.alpha_min);
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
    pixel_range(double(proj.mean2d[2 * i]), proj.radius[i], intr.width, x0, x1);
    pixel_range(double(proj.mean2d[2 * i + 1]), proj.radius[i], intr.height, y0, y1);
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
  parallel_for(0, tiles, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int tx = int(t % bins.tiles_x), ty = int(t / bins.tiles_x);
      const int64_t begin = bins.offsets[size_t(t)], count = bins.offsets[size_t(t) + 1] - begin;
      const int32_t* ids = bins.ids.data() + begin;
      for (int y = ty * kTileSize; y < std::min(H, (ty + 1) * kTileSize); ++y)
        for (int x = tx * kTileSize; x < std::min(W, (tx + 1) * kTileSize); ++x) {
          const T px = T(x) + T(0.5), py = T(y) + T(0.5);
          T trans = 1, c[3] = {0, 0, 0}, d = 0;
          int32_t end = 0;
          for (int64_t j = 0; j < count; ++j) {
            const int32_t id = ids[j];
            T alpha, dx, dy, g;
            if (!evaluate(proj, id, px, py, cfg, alpha, dx, dy, g)) continue;
            const T next = trans * (1 - alpha);
            if (next < T(cfg.transmittance_min)) break;
            const T w = alpha * trans;
            for (int ch = 0; ch < 3; ++ch) c[ch] += w * proj.color[3 * size_t(id) + ch];
            d += w * proj.depth[size_t(id)];
            trans = next;
            end = int32_t(j + 1);
          }
          const size_t p = size_t(y) * W + x;
          const T* b = per_pixel_bg ? bg + 3 * p : bg;
          for (int ch = 0; ch < 3; ++ch) out.rgb[3 * p + ch] = c[ch] + trans * b[ch];
          out.alpha[p] = 1 - trans;
          out.depth[p] = d;
          out.final_transmittance[p] = trans;
          out.end[p] = end;
        }
    }
  }, 1);
}

template <typename T>
void rasterize_backward(const Projected<T>& proj, const TileBins& bins, const Intrinsics& intr, const RasterConfig& cfg,
                        const T* bg, bool per_pixel_bg, const RasterOutput<T>& fwd, const T* d_rgb, const T* d_alpha,
                        const T* d_depth, ProjectedGrads<T>& grad, std::vector<T>& d_bg) {
  const int W = intr.width, H = intr.height;
  const int64_t n = proj.n, tiles = int64_t(bins.tiles_x) * bins.tiles_y;
  d_bg.assign(per_pixel_bg ? size_t(W) * H * 3 : 3, T(0));
  // One gradient buffer per block of tiles, summed in block order: deterministic for a fixed thread count.
  const int64_t blocks = std::max<int64_t>(1, std::min<int64_t>(num_threads(), tiles));
  std::vector<ProjectedGrads<T>> partial(static_cast<size_t>(blocks));
  std::vector<std::array<T, 3>> partial_bg(size_t(blocks), std::array<T, 3>{0, 0, 0});
  parallel_for(0, blocks, [&](int64_t b0, int64_t b1) {
    for (int64_t blk = b0; blk < b1; ++blk) {
      ProjectedGrads<T>& g = partial[size_t(blk)];
      g.resize(n);
      for (int64_t t = blk * tiles / blocks; t < (blk + 1) * tiles / blocks; ++t) {
        const int tx = int(t % bins.tiles_x), ty = int(t / bins.tiles_x);
        const int32_t* ids = bins.ids.data() + bins.offsets[size_t(t)];
        for (int y = ty * kTileSize; y < std::min(H, (ty + 1) * kTileSize); ++y)
          for (int x = tx * kTileSize; x < std::min(W, (tx + 1) * kTileSize); ++x) {
            const size_t p = size_t(y) * W + x;
            const T px = T(x) + T(0.5), py = T(y) + T(0.5);
            const T t_final = fwd.final_transmittance[p];
            const T gc[3] = {d_rgb ? d_rgb[3 * p] : T(0), d_rgb ? d_rgb[3 * p + 1] : T(0), d_rgb ? d_rgb[3 * p + 2] : T(0)};
            const T ga = d_alpha ? d_alpha[p] : T(0), gd = d_depth ? d_depth[p] : T(0);
            const T* b = per_pixel_bg ? bg + 3 * p : bg;
            T bg_dot = 0;
            for (int ch = 0; ch < 3; ++ch) {
              bg_dot += gc[ch] * b[ch];
              if (per_pixel_bg) d_bg[3 * p + ch] = t_final * gc[ch];
              else partial_bg[size_t(blk)][size_t(ch)] += t_final * gc[ch];
            }
            // Back to front: S* hold the sums over the Gaussians behind the current one.
            T trans = t_final, s_c[3] = {0, 0, 0}, s_d = 0, s_a = 0;
            for (int32_t j = fwd.end[p] - 1; j >= 0; --j) {
              const int32_t id = ids[j];
              T alpha, dx, dy, gauss;
              if (!evaluate(proj, id, px, py, cfg, alpha, dx, dy, gauss)) continue;
              const T one_minus = 1 - alpha;
              trans /= one_minus;  // T_k, the transmittance in front of this Gaussian
              const T w = alpha * trans;
              const T* col = &proj.color[3 * size_t(id)];
              T d_alpha_k = 0;
              for (int ch = 0; ch < 3; ++ch) {
                g.color[3 * size_t(id) + ch] += w * gc[ch];
                d_alpha_k += gc[ch] * (col[ch] * trans - s_c[ch] / one_minus);
                s_c[ch] += col[ch] * w;
              }
              d_alpha_k -= bg_dot * t_final / one_minus;
              const T z = proj.depth[size_t(id)];
              g.depth[size_t(id)] += w * gd;
              d_alpha_k += gd * (z * trans - s_d / one_minus) + ga * (trans - s_a / one_minus);
              s_d += z * w;
              s_a += w;
              if (proj.opacity[id] * gauss >= T(cfg.alpha_max)) continue;  // clamped: no gradient through alpha
              g.opacity[size_t(id)] += d_alpha_k * gauss;
              const T d_power = d_alpha_k * alpha;  // alpha = o · exp(power)
              const T* k = &proj.conic[3 * size_t(id)];
              g.mean2d[2 * size_t(id)] += d_power * (k[0] * dx + k[1] * dy);
              g.mean2d[2 * size_t(id) + 1] += d_power * (k[1] * dx + k[2] * dy);
              g.conic[3 * size_t(id)] += d_power * T(-0.5) * dx * dx;
              g.conic[3 * size_t(id) + 1] += d_power * -dx * dy;
              g.conic[3 * size_t(id) + 2] += d_power * T(-0.5) * dy * dy;
            }
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
