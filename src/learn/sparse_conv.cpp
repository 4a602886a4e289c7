#include "learn/sparse_conv.hpp"

#include <stdexcept>
#include <unordered_map>

namespace ttgs::learn {
namespace {

// A 64-bit key of a voxel coordinate (21 bits each, offset so negative coordinates fit).
int64_t key_of(int64_t x, int64_t y, int64_t z) {
  constexpr int64_t kOffset = int64_t(1) << 20, kMask = (int64_t(1) << 21) - 1;
  return ((x + kOffset) & kMask) << 42 | ((y + kOffset) & kMask) << 21 | ((z + kOffset) & kMask);
}

at::Tensor neighbor_table(const at::Tensor& coords) {
  const int64_t v = coords.size(0);
  const at::Tensor c = coords.contiguous();
  const int64_t* p = c.data_ptr<int64_t>();
  std::unordered_map<int64_t, int64_t> index;
  index.reserve(size_t(v) * 2);
  for (int64_t i = 0; i < v; ++i) index.emplace(key_of(p[3 * i], p[3 * i + 1], p[3 * i + 2]), i);
  at::Tensor table = at::full({v, kKernelVolume}, v, at::kLong);
  int64_t* t = table.data_ptr<int64_t>();
  for (int64_t i = 0; i < v; ++i)
    for (int dx = -1; dx <= 1; ++dx)
      for (int dy = -1; dy <= 1; ++dy)
        for (int dz = -1; dz <= 1; ++dz) {
          const auto it = index.find(key_of(p[3 * i] + dx, p[3 * i + 1] + dy, p[3 * i + 2] + dz));
          if (it != index.end()) t[i * kKernelVolume + (dx + 1) * 9 + (dy + 1) * 3 + (dz + 1)] = it->second;
        }
  return table;
}

}  // namespace

at::Tensor voxel_coords(const at::Tensor& positions, double voxel_size) {
  if (!(voxel_size > 0)) throw std::invalid_argument("voxel_coords: voxel size must be positive");
  return at::floor(positions.detach().to(at::kDouble) / voxel_size).to(at::kLong);
}

Voxelization voxelize(const at::Tensor& coords) {
  if (coords.dim() != 2 || coords.size(1) != 3 || coords.scalar_type() != at::kLong)
    throw std::invalid_argument("voxelize: expected (N, 3) int64 coordinates");
  if (coords.numel() > 0 && (coords.abs().max().item<int64_t>() >= (int64_t(1) << 20)))
    throw std::invalid_argument("voxelize: coordinates beyond +-2^20 (voxel size too small for the scene)");
  // Unique rows, sorted lexicographically, with the inverse map.
  const auto [unique, inverse, counts] = at::unique_dim(coords, 0, /*sorted=*/true, /*return_inverse=*/true);
  (void)counts;
  Voxelization out;
  out.level.coords = unique.contiguous();
  out.level.neighbors = neighbor_table(out.level.coords);
  out.point_to_voxel = inverse;
  return out;
}

Voxelization coarsen(const VoxelLevel& fine) { return voxelize(at::floor_divide(fine.coords, 2)); }

at::Tensor sparse_conv3d(const at::Tensor& features, const VoxelLevel& level, const at::Tensor& weight) {
  const int64_t v = level.size();
  if (features.dim() != 2 || features.size(0) != v) throw std::invalid_argument("sparse_conv3d: features must be (V, C)");
  if (weight.dim() != 3 || weight.size(0) != kKernelVolume || weight.size(1) != features.size(1))
    throw std::invalid_argument("sparse_conv3d: weight must be (27, Cin, Cout)");
  // Row V of the padded features is zero: empty neighbours gather it.
  const at::Tensor padded = at::cat({features, at::zeros({1, features.size(1)}, features.options())}, 0);
  // (V, 27, Cin) gathered, then one batched contraction over (offset, Cin).
  const at::Tensor gathered = padded.index_select(0, level.neighbors.reshape({-1})).reshape({v, kKernelVolume, -1});
  return at::matmul(gathered.reshape({v, -1}), weight.reshape({-1, weight.size(2)}));
}

at::Tensor scatter_mean(const at::Tensor& values, const at::Tensor& index, int64_t rows) {
  const at::Tensor sum = at::zeros({rows, values.size(1)}, values.options()).index_add(0, index, values);
  const at::Tensor count = at::zeros({rows}, values.options()).index_add(0, index, at::ones({values.size(0)}, values.options()));
  return sum / count.clamp_min(1).unsqueeze(1);
}

}  // namespace ttgs::learn
