#pragma once
// Initial Gaussians: from a point cloud (one Gaussian per point) or at random inside the cameras' common view.
#include <cstdint>
#include <vector>

#include "core/camera.hpp"
#include "core/splat_data.hpp"
#include "model/gaussians.hpp"

namespace ttgs::model {

struct InitOptions {
  float opacity = 0.1f;  // initial activated opacity
  int sh_degree = 3;     // degree of the SH tensors (higher coefficients start at zero)
  int knn = 3;           // scale = mean distance to this many nearest neighbours
  // Surfels: with k >= 3, each Gaussian whose k nearest neighbours lie on a plane is flattened onto it (normal
  // scale = surfel_thickness x the in-plane scale, rotation from the neighbours' principal axes); 0: spheres, as
  // 3DGS initializes. Opaque spheres on a surface seen at a grazing angle (a road) cover the surface behind them:
  // the rendered texture then sits a few pixels off the photo's, which biases any alignment against the model.
  int surfel_neighbours = 0;
  float surfel_thickness = 0.1f;
};

// Distance of every point to its k nearest neighbours (nanoflann k-d tree), their mean or the k-th (farthest) one;
// N*3 positions in, N out; duplicates get the smallest positive distance.
enum class KnnReduce { kMean, kLast };
std::vector<float> knn_distance(const std::vector<float>& positions, int k, KnnReduce reduce);
std::vector<float> mean_knn_distance(const std::vector<float>& positions, int k);

// One Gaussian per point: isotropic scale from mean_knn_distance, identity rotation (or surfels, above), colour from
// the points (grey when they have none). Throws std::invalid_argument for an empty cloud.
Gaussians init_from_points(const PointCloud& points, const InitOptions& options);

struct RandomInitOptions {
  InitOptions base;
  int64_t count = 20000;
  uint64_t seed = 0;
};

// Points sampled uniformly in the volume every camera sees (in front of it and inside its image), falling back to
// the volume at least half of them see when the cameras share little; random colours. Deterministic in the seed.
Gaussians init_random(const std::vector<Camera>& cameras, const RandomInitOptions& options);

}  // namespace ttgs::model
