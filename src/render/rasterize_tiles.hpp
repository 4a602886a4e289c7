#pragma once
// Private to rasterize.cpp: the per-tile loops, compiled once per instruction set (baseline x86-64 / SSE2, AVX2,
// AVX-512) from rasterize_tiles.inc, on raw pointers only, so that no shared template instantiation is compiled with
// wider instructions than the machine may have. rasterize.cpp allocates, picks the widest supported set, reduces.
#include <cstdint>

#include "render/project.hpp"

namespace ttgs::render {

// One entry's gradients: mean2d (2), conic (3), opacity, color (3), depth.
constexpr int kEntryGrads = 10;

template <typename T>
struct TileArgs {
  // Projected Gaussians.
  const T *mean2d, *conic, *depth, *opacity, *color;
  // Tile lists (TileBins).
  int tiles_x, tiles_y, width, height;
  const int64_t* offsets;
  const int32_t* ids;
  const uint16_t* spans;  // TileBins::spans
  T alpha_min, alpha_max, transmittance_min;
  const T* background;  // 3 values, or H x W x 3
  bool per_pixel_background;
  // The tiles in `chunks` contiguous runs (row-major) of about equal work, chunk c being chunk_tiles[c] ..
  // chunk_tiles[c + 1] - 1, several per thread: each of `threads` threads claims the next unclaimed chunk
  // (*next_chunk, atomically) until none is left, so a thread the system descheduled holds up one chunk only.
  int64_t threads, chunks;
  const int64_t* chunk_tiles;
  int64_t* next_chunk;
  // Forward outputs: rgb, alpha, depth_out H x W [x 3]; final_transmittance and end tile by tile (RasterOutput).
  // The backward pass reads final_transmittance and end only.
  T *rgb, *alpha, *depth_out, *final_transmittance;
  int32_t* end;
  int64_t* tile_work;  // per tile: the rows of tile-list entries the forward composited (its work)
  // Backward only: upstream gradients (may be null); per tile-list entry, kEntryGrads gradients of its Gaussian from
  // that tile (entries the tile's pixels never reached get zeros); per tile, the constant background's gradient
  // (tiles x 3); the per-pixel background's gradient (H x W x 3).
  const T *d_rgb, *d_alpha, *d_depth;
  T* entry_grads;
  T* tile_background;
  T* d_background;
};

#define TTGS_DECLARE_TILE_KERNELS(ns)                  \
  namespace ns {                                       \
  template <typename T>                                \
  void forward_tiles(const TileArgs<T>& args);         \
  template <typename T>                                \
  void backward_tiles(const TileArgs<T>& args);        \
  }
TTGS_DECLARE_TILE_KERNELS(isa_baseline)
TTGS_DECLARE_TILE_KERNELS(isa_avx2)
TTGS_DECLARE_TILE_KERNELS(isa_avx512)
#undef TTGS_DECLARE_TILE_KERNELS

enum class RasterIsa { Baseline, Avx2, Avx512 };
// The widest instruction set that both the CPU and this build support; TTGS_ISA=baseline|avx2|avx512 narrows it.
RasterIsa raster_isa();
const char* raster_isa_name(RasterIsa isa);
// For tests and benchmarks: force one (clamped to what is supported); returns the one in effect.
RasterIsa set_raster_isa(RasterIsa isa);

}  // namespace ttgs::render
