#pragma once
// Sparse 3D convolution over occupied voxels, written as gather -> matmul -> scatter on a voxel hash so that
// LibTorch's autograd provides the backward. A VoxelLevel holds the occupied voxels of one resolution and, for each,
// the row of every neighbour in a 3x3x3 window (or -1); pooling maps each voxel to its parent at half resolution.
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace ttgs::learn {

constexpr int kKernelVolume = 27;  // 3x3x3; offset k = (dx+1)*9 + (dy+1)*3 + (dz+1)

struct VoxelLevel {
  at::Tensor coords;     // (V, 3) int64 voxel coordinates, sorted (x, y, z) lexicographically
  at::Tensor neighbors;  // (V, 27) int64 row of the neighbour at each offset, V (a zero row) where empty
  int64_t size() const { return coords.size(0); }
};

// The occupied voxels of integer coordinates (N, 3) int64 and, per input row, its voxel's row (N) int64.
struct Voxelization {
  VoxelLevel level;
  at::Tensor point_to_voxel;
};
Voxelization voxelize(const at::Tensor& coords);

// Voxel coordinates of points (N, 3) for a given voxel size (floor(p / size)).
at::Tensor voxel_coords(const at::Tensor& positions, double voxel_size);

// The next coarser level (coordinates halved, floor) and the map from each fine voxel to its parent row.
Voxelization coarsen(const VoxelLevel& fine);

// out[v] = Σ_k features[neighbors[v, k]] · weight[k]: features (V, Cin), weight (27, Cin, Cout) -> (V, Cout).
at::Tensor sparse_conv3d(const at::Tensor& features, const VoxelLevel& level, const at::Tensor& weight);

// Mean of the rows mapped to each target row: (N, C) -> (M, C).
at::Tensor scatter_mean(const at::Tensor& values, const at::Tensor& index, int64_t rows);

}  // namespace ttgs::learn
