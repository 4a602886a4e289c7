#include "render/rasterize.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/parallel.hpp"
#include "core/radix_sort.hpp"
#include "render/footprint.hpp"
#include "render/rasterize_tiles.hpp"

namespace ttgs::render {
namespace {

RasterIsa supported_isa() {
#if defined(TTGS_HAVE_X86_ISA)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq"))
    return RasterIsa::Avx512;
  if (__builtin_cpu_supports("avx2")) return RasterIsa::Avx2;
#endif
  return RasterIsa::Baseline;
}

RasterIsa initial_isa() {
  RasterIsa isa = supported_isa();
  if (const char* env = std::getenv("TTGS_ISA")) {
    const std::string want(env);
    const RasterIsa wanted = want == "baseline" ? RasterIsa::Baseline : want == "avx2" ? RasterIsa::Avx2 : RasterIsa::Avx512;
    isa = std::min(isa, wanted);
  }
  return isa;
}

RasterIsa g_isa = initial_isa();

template <typename T>
void run_forward(const TileArgs<T>& a) {
  switch (g_isa) {
#if defined(TTGS_HAVE_X86_ISA)
    case RasterIsa::Avx512: isa_avx512::forward_tiles(a); return;
    case RasterIsa::Avx2: isa_avx2::forward_tiles(a); return;
#endif
    default: isa_baseline::forward_tiles(a);
  }
}

template <typename T>
void run_backward(const TileArgs<T>& a) {
  switch (g_isa) {
#if defined(TTGS_HAVE_X86_ISA)
    case RasterIsa::Avx512: isa_avx512::backward_tiles(a); return;
    case RasterIsa::Avx2: isa_avx2::backward_tiles(a); return;
#endif
    default: isa_baseline::backward_tiles(a);
  }
}

template <typename T>
TileArgs<T> tile_args(const Projected<T>& proj, const TileBins& bins, const Intrinsics& intr, const RasterConfig& cfg,
                      const T* bg, bool per_pixel_bg) {
  TileArgs<T> a{};
  a.mean2d = proj.mean2d.data();
  a.conic = proj.conic.data();
  a.depth = proj.depth.data();
  a.opacity = proj.opacity.data();
  a.color = proj.color.data();
  a.spans = bins.spans.data();
  a.tiles_x = bins.tiles_x;
  a.tiles_y = bins.tiles_y;
  a.width = intr.width;
  a.height = intr.height;
  a.offsets = bins.offsets.data();
  a.ids = bins.ids.data();
  a.alpha_min = T(cfg.alpha_min);
  a.alpha_max = T(cfg.alpha_max);
  a.transmittance_min = T(cfg.transmittance_min);
  a.background = bg;
  a.per_pixel_background = per_pixel_bg;
  return a;
}

// Splits [0, n) into `parts` contiguous runs of about equal cost(i): bounds[w] .. bounds[w + 1] - 1. The split
// depends only on the costs and the count.
template <typename Cost>
std::vector<int64_t> split_by_cost(int64_t n, int64_t parts, Cost&& cost) {
  double total = 0;
  for (int64_t i = 0; i < n; ++i) total += cost(i);
  std::vector<int64_t> bounds(size_t(parts) + 1, n);
  bounds[0] = 0;
  double sum = 0;
  int64_t w = 1;
  for (int64_t i = 0; i < n && w < parts; ++i) {
    sum += cost(i);
    while (w < parts && sum >= total * double(w) / double(parts)) bounds[size_t(w++)] = i + 1;
  }
  return bounds;
}

// The tiles (row-major) in contiguous runs of about equal work, kChunksPerThread per thread, claimed by the threads
// one at a time (TileArgs): a run shares output cache lines with its neighbours only at its two ends, and a thread
// that the system deschedules (other programs busy on the cores) delays one run, not a thread's fixed share. (Dealing
// tile rows round-robin left one of two workers with twice the other's work on the benchmark scene.)
constexpr int64_t kChunksPerThread = 8;
std::vector<int64_t> split_tiles(const int64_t* work, int64_t tiles) {
  constexpr double kTileOverhead = 8;  // setting a tile up and writing it out, in rows of compositing
  return split_by_cost(tiles, std::max<int64_t>(1, std::min<int64_t>(num_threads() * kChunksPerThread, tiles)),
                       [&](int64_t t) { return double(work[t]) + kTileOverhead; });
}

// Points a (forward or backward) TileArgs at its chunks; `claim` receives the shared claim counter.
template <typename T>
void set_chunks(TileArgs<T>& a, const std::vector<int64_t>& bounds, int64_t& claim) {
  a.chunks = int64_t(bounds.size()) - 1;
  a.chunk_tiles = bounds.data();
  a.threads = std::max<int64_t>(1, std::min<int64_t>(num_threads(), a.chunks));
  a.next_chunk = &claim;
}

}  // namespace

RasterIsa raster_isa() { return g_isa; }

const char* raster_isa_name(RasterIsa isa) {
  return isa == RasterIsa::Avx512 ? "avx512" : isa == RasterIsa::Avx2 ? "avx2" : "baseline";
}

RasterIsa set_raster_isa(RasterIsa isa) {
  g_isa = std::min(isa, supported_isa());
  return g_isa;
}

namespace {
// An unsigned key with the order of the floating-point value (finite values; -0 before +0).
uint32_t order_key(float v) {
  uint32_t b;
  std::memcpy(&b, &v, sizeof b);
  return (b & 0x80000000u) ? ~b : b | 0x80000000u;
}
uint64_t order_key(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return (b & (uint64_t(1) << 63)) ? ~b : b | (uint64_t(1) << 63);
}

// One tile-list entry as a binning worker lists it.
struct BinEntry {
  int32_t tile, id;
  uint16_t span;
};

// The workers' entries laid out tile by tile (`slots[w][t]`: worker w's count in tile t on entry), each tile's in
// worker order; and the same entries grouped by Gaussian (TileBins::entry_of, groups): the workers'
// lists one after another, where each Gaussian's entries are together, in the order of its tiles.
void lay_out_entries(const std::vector<std::vector<BinEntry>>& entries, std::vector<std::vector<int64_t>>& slots,
                     int64_t tiles, TileBins& bins) {
  const int64_t workers = int64_t(entries.size());
  bins.offsets.assign(size_t(tiles) + 1, 0);
  int64_t total = 0;
  for (int64_t t = 0; t < tiles; ++t) {
    bins.offsets[size_t(t)] = total;
    for (auto& s : slots) {  // count -> first slot of this worker in this tile
      const int64_t c = s[size_t(t)];
      s[size_t(t)] = total;
      total += c;
    }
  }
  bins.offsets[size_t(tiles)] = total;
  bins.ids.resize(size_t(total));
  bins.spans.resize(size_t(total));
  // The workers' lists, one after another, are the entries grouped by Gaussian (each Gaussian's in its stretch).
  std::vector<int64_t> list_start(size_t(workers) + 1, 0);
  for (size_t w = 0; w < size_t(workers); ++w) list_start[w + 1] = list_start[w] + int64_t(entries[w].size());
  bins.entry_of.resize(size_t(total));
  std::vector<std::vector<int64_t>> group_starts(static_cast<size_t>(workers));
  parallel_for(0, workers, [&](int64_t w0, int64_t w1) {
    for (int64_t w = w0; w < w1; ++w) {
      const std::vector<BinEntry>& list = entries[size_t(w)];
      for (size_t k = 0; k < list.size(); ++k) {
        const BinEntry& e = list[k];
        const int64_t at = slots[size_t(w)][size_t(e.tile)]++;
        bins.ids[size_t(at)] = e.id;
        bins.spans[size_t(at)] = e.span;
        bins.entry_of[size_t(list_start[size_t(w)]) + k] = at;
        if (k == 0 || list[k - 1].id != e.id) group_starts[size_t(w)].push_back(list_start[size_t(w)] + int64_t(k));
      }
    }
  }, 1);
  bins.groups.clear();
  for (const std::vector<int64_t>& starts : group_starts)
    bins.groups.insert(bins.groups.end(), starts.begin(), starts.end());
  bins.groups.push_back(total);
}

}  // namespace

template <typename T>
void bin_gaussians(const Projected<T>& proj, const Intrinsics& intr, TileBins& bins) {
  bins.tiles_x = (intr.width + kTileSize - 1) / kTileSize;
  bins.tiles_y = (intr.height + kTileSize - 1) / kTileSize;
  const int64_t tiles = int64_t(bins.tiles_x) * bins.tiles_y;
  // The Gaussians that can composite anything, front to back (ties by index): visiting them in this order fills
  // every tile's list already sorted.
  using Key = decltype(order_key(T(0)));
  std::vector<Key> keys;
  std::vector<int32_t> order;
  for (int64_t i = 0; i < proj.n; ++i)
    if (proj.radius[i] > 0 && proj.alpha_tau[i] >= 0) {
      keys.push_back(order_key(proj.depth[size_t(i)]));
      order.push_back(int32_t(i));
    }
  radix_sort_pairs(keys, order);
  const int64_t visible = int64_t(order.size());
  // Each worker lists the (tile, Gaussian) entries of its own stretch of that order, counting them per tile; its
  // slots in every tile come after the earlier workers', so the lists do not depend on the thread count.
  const int64_t workers = std::max<int64_t>(1, std::min<int64_t>(num_threads(), visible / 256));
  // Stretches of about equal work, estimated by the tiles each square extent covers: near Gaussians are larger, so
  // equal counts left the first worker with most of it.
  const std::vector<int64_t> first = split_by_cost(visible, workers, [&](int64_t k) {
    const double side = 2.0 * proj.radius[size_t(order[size_t(k)])] / kTileSize + 1;
    return side * side;
  });
  std::vector<std::vector<int64_t>> slots(size_t(workers), std::vector<int64_t>(size_t(tiles), 0));
  std::vector<std::vector<BinEntry>> entries(slots.size());
  parallel_for(0, workers, [&](int64_t w0, int64_t w1) {
    for (int64_t w = w0; w < w1; ++w) {
      std::vector<int64_t>& count = slots[size_t(w)];
      std::vector<BinEntry>& list = entries[size_t(w)];
      const int64_t k_begin = first[size_t(w)], k_end = first[size_t(w) + 1];
      list.reserve(size_t(std::max<int64_t>(0, k_end - k_begin)) * 4);
      for (int64_t k = k_begin; k < k_end; ++k) {
        const int32_t i = order[size_t(k)];
        if (k + 8 < k_end) {  // depth order scatters the reads: ask for a later Gaussian's early
          const size_t ahead = size_t(order[size_t(k + 8)]);
          __builtin_prefetch(&proj.mean2d[2 * ahead]);
          __builtin_prefetch(&proj.conic[3 * ahead]);
          __builtin_prefetch(&proj.alpha_tau[ahead]);
          __builtin_prefetch(&proj.radius[ahead]);
        }
        // The tiles the footprint (square extent and alpha ellipse) touches, band by band of tile rows.
        const FootprintOf<T> f(proj.mean2d[2 * size_t(i)], proj.mean2d[2 * size_t(i) + 1], proj.conic[3 * size_t(i)],
                               proj.conic[3 * size_t(i) + 1], proj.conic[3 * size_t(i) + 2], proj.alpha_tau[size_t(i)],
                               proj.radius[size_t(i)]);
        int y0, y1;
        f.rows(0, intr.height - 1, y0, y1);
        for (int ty = y0 / kTileSize; y0 <= y1 && ty <= y1 / kTileSize; ++ty) {
          const int band0 = std::max(y0, ty * kTileSize), band1 = std::min(y1, ty * kTileSize + kTileSize - 1);
          int x0, x1;
          f.columns_over_rows(band0, band1, 0, intr.width - 1, x0, x1);
          for (int tx = x0 / kTileSize; x0 <= x1 && tx <= x1 / kTileSize; ++tx) {
            // Columns of this tile within the band's reach, and the rows that reach them (all the band's rows when
            // the ellipse lies within the tile's columns).
            const int c0 = std::max(x0, tx * kTileSize), c1 = std::min(x1, tx * kTileSize + kTileSize - 1);
            int r0 = band0, r1 = band1;
            if ((c0 > x0 || c1 < x1) && band1 - band0 >= kMinRowsToTrim)
              f.rows_over_columns(c0, c1, band0, band1, r0, r1);
            if (r0 > r1) continue;
            const int32_t t = ty * bins.tiles_x + tx;
            list.push_back({t, i, pack_span(c0 - tx * kTileSize, c1 - tx * kTileSize, r0 - ty * kTileSize,
                                            r1 - ty * kTileSize)});
            ++count[size_t(t)];
          }
        }
      }
    }
  }, 1);
  lay_out_entries(entries, slots, tiles, bins);
  bins.work.resize(size_t(tiles));
  parallel_for(0, tiles, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t rows = 0;
      for (int64_t k = bins.offsets[size_t(t)]; k < bins.offsets[size_t(t) + 1]; ++k) {
        int c0, c1, r0, r1;
        unpack_span(bins.spans[size_t(k)], c0, c1, r0, r1);
        rows += r1 - r0 + 1;
      }
      bins.work[size_t(t)] = rows;
    }
  }, 16);
}

template <typename T>
void rasterize_forward(const Projected<T>& proj, const TileBins& bins, const Intrinsics& intr, const RasterConfig& cfg,
                       const T* bg, bool per_pixel_bg, RasterOutput<T>& out) {
  const size_t npx = size_t(intr.width) * intr.height;
  out.rgb.resize(npx * 3);  // uninitialized: the tile loops write every pixel
  out.alpha.resize(npx);
  out.depth.resize(npx);
  const size_t tile_px = size_t(bins.tiles_x) * bins.tiles_y * kTileSize * kTileSize;
  out.final_transmittance.resize(tile_px);
  out.end.resize(tile_px);
  TileArgs<T> a = tile_args(proj, bins, intr, cfg, bg, per_pixel_bg);
  a.rgb = out.rgb.data();
  a.alpha = out.alpha.data();
  a.depth_out = out.depth.data();
  a.final_transmittance = out.final_transmittance.data();
  a.end = out.end.data();
  out.tile_work.resize(size_t(bins.tiles_x) * bins.tiles_y);
  a.tile_work = out.tile_work.data();
  const std::vector<int64_t> bounds = split_tiles(bins.work.data(), int64_t(bins.work.size()));
  int64_t claim = 0;
  set_chunks(a, bounds, claim);
  run_forward(a);
}

template <typename T>
void rasterize_backward(const Projected<T>& proj, const TileBins& bins, const Intrinsics& intr, const RasterConfig& cfg,
                        const T* bg, bool per_pixel_bg, const RasterOutput<T>& fwd, const T* d_rgb, const T* d_alpha,
                        const T* d_depth, ProjectedGrads<T>& grad, std::vector<T>& d_bg) {
  TileArgs<T> a = tile_args(proj, bins, intr, cfg, bg, per_pixel_bg);
  a.final_transmittance = const_cast<T*>(fwd.final_transmittance.data());
  a.end = const_cast<int32_t*>(fwd.end.data());
  const std::vector<int64_t> bounds = split_tiles(fwd.tile_work.data(), int64_t(fwd.tile_work.size()));
  int64_t claim = 0;
  set_chunks(a, bounds, claim);
  a.d_rgb = d_rgb;
  a.d_alpha = d_alpha;
  a.d_depth = d_depth;
  OutputBuffer<T> entry_grads, tile_bg;  // every element written by the tile loops
  entry_grads.resize(bins.ids.size() * size_t(kEntryGrads));
  tile_bg.resize(fwd.tile_work.size() * 3);
  d_bg.assign(per_pixel_bg ? size_t(intr.width) * intr.height * 3 : 3, T(0));
  a.entry_grads = entry_grads.data();
  a.tile_background = tile_bg.data();
  a.d_background = d_bg.data();
  run_backward(a);
  // Each Gaussian's entries summed in the order of its tiles (parallel over Gaussians).
  grad.resize(proj.n);
  const int64_t groups = int64_t(bins.groups.size()) - 1;
  parallel_for(0, groups, [&](int64_t g0, int64_t g1) {
    for (int64_t g = g0; g < g1; ++g) {
      T sum[kEntryGrads] = {};
      for (int64_t e = bins.groups[size_t(g)]; e < bins.groups[size_t(g) + 1]; ++e) {
        const T* src = entry_grads.data() + size_t(bins.entry_of[size_t(e)]) * kEntryGrads;
        for (int k = 0; k < kEntryGrads; ++k) sum[k] += src[k];
      }
      const size_t i = size_t(bins.ids[size_t(bins.entry_of[size_t(bins.groups[size_t(g)])])]);  // its Gaussian
      grad.mean2d[2 * i] = sum[0];
      grad.mean2d[2 * i + 1] = sum[1];
      for (size_t k = 0; k < 3; ++k) grad.conic[3 * i + k] = sum[2 + k];
      grad.opacity[i] = sum[5];
      for (size_t k = 0; k < 3; ++k) grad.color[3 * i + k] = sum[6 + k];
      grad.depth[i] = sum[9];
    }
  }, 4096);  // small scenes in one go: a parallel region costs more than their sums
  if (!per_pixel_bg)
    for (size_t t = 0; t < fwd.tile_work.size(); ++t)
      for (size_t ch = 0; ch < 3; ++ch) d_bg[ch] += tile_bg[3 * t + ch];
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
