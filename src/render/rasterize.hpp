#pragma once
// Tile binning and front-to-back alpha compositing of projected Gaussians (forward and analytic backward),
// LibTorch-free and templated on the scalar type.
//
// A Gaussian touches a pixel when the pixel centre lies inside its square extent (|dx|, |dy| <= radius; see
// RasterConfig::opacity_aware_extent); tiles (16x16) only decide which Gaussians a pixel looks at, never the result.
// Per pixel, in order of increasing depth
// (ties by index): alpha = min(alpha_max, opacity · exp(-½ dᵀ conic d)); alpha < alpha_min is skipped; compositing
// stops before the Gaussian that would take the transmittance below transmittance_min.
// Outputs: rgb = Σ c_k α_k T_k + T_final · background, alpha = 1 − T_final, depth = Σ z_k α_k T_k (expected depth,
// not normalized by alpha).
#include <cstdint>
#include <vector>

#include "render/project.hpp"

namespace ttgs::render {

constexpr int kTileSize = 16;  // pack_span below relies on it

struct TileBins {
  int tiles_x = 0, tiles_y = 0;
  std::vector<int64_t> offsets;  // tiles + 1
  std::vector<int32_t> ids;      // Gaussian indices per tile, front to back
  // Per entry of ids: the columns c0..c1 and rows r0..r1 of the tile (0-15, inclusive) that the Gaussian's footprint
  // can touch, packed by pack_span; the tile loops visit only those rows and mask the other columns. The rows are
  // those of the footprint's band across the tile row, trimmed (Footprint::rows_over_columns) to the ones that reach
  // the tile's columns when the band reaches past them and spans at least kMinRowsToTrim + 1 rows (for shorter
  // bands the trim costs more than the rows it could save).
  std::vector<uint16_t> spans;
  // Per tile: the rows of its entries' spans, the forward pass's work at most (it splits the tiles by this).
  std::vector<int64_t> work;
  // The entries again, grouped by Gaussian: group g's entries are at positions entry_of[groups[g]] ..
  // entry_of[groups[g + 1] - 1] of ids (all of one Gaussian), in the order of its tiles (row-major). The backward
  // pass sums each Gaussian's per-entry gradients in this order, whichever thread computed them.
  std::vector<int64_t> entry_of;
  std::vector<int64_t> groups;  // group count + 1
};
constexpr int kMinRowsToTrim = 4;

inline uint16_t pack_span(int c0, int c1, int r0, int r1) { return uint16_t(c0 | c1 << 4 | r0 << 8 | r1 << 12); }
inline void unpack_span(uint16_t s, int& c0, int& c1, int& r0, int& r1) {
  c0 = s & 15;
  c1 = (s >> 4) & 15;
  r0 = (s >> 8) & 15;
  r1 = s >> 12;
}

// Lists, per tile, the Gaussians whose footprint (square extent and the ellipse where alpha >= alpha_min, from
// Projected::alpha_tau) touches it, sorted by depth.
template <typename T>
void bin_gaussians(const Projected<T>& proj, const Intrinsics& intr, TileBins& bins);

// Every element is written by rasterize_forward. The backward pass reads only final_transmittance, end and
// tile_work; the first two are kept tile by tile (tiles x 256, row-major within a tile, pixels off the image
// included) so that the backward reads each tile's state as one contiguous block.
template <typename T>
struct RasterOutput {
  OutputBuffer<T> rgb;    // H x W x 3
  OutputBuffer<T> alpha;  // H x W
  OutputBuffer<T> depth;  // H x W
  OutputBuffer<T> final_transmittance;  // tiles x kTileSize²
  OutputBuffer<int32_t> end;            // tiles x kTileSize²: entries of the tile list that the pixel went through
  OutputBuffer<int64_t> tile_work;      // tiles: rows of entries composited (the backward splits the tiles by this)
};

// background: 3 values, or H x W x 3 when per_pixel_background.
template <typename T>
void rasterize_forward(const Projected<T>& proj, const TileBins& bins, const Intrinsics& intr, const RasterConfig& cfg,
                       const T* background, bool per_pixel_background, RasterOutput<T>& out);

// Writes into grad (resized here) the gradients of the projected quantities, and into d_background (3 or H x W x 3
// values) the background's. Bit for bit the same whatever the thread count and however the threads were scheduled:
// every tile-list entry gets its own gradient, summed per Gaussian in a fixed order.
template <typename T>
void rasterize_backward(const Projected<T>& proj, const TileBins& bins, const Intrinsics& intr, const RasterConfig& cfg,
                        const T* background, bool per_pixel_background, const RasterOutput<T>& fwd, const T* d_rgb,
                        const T* d_alpha, const T* d_depth, ProjectedGrads<T>& grad, std::vector<T>& d_background);

}  // namespace ttgs::render
