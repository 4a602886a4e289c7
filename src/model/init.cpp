#include "model/init.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include "core/point_index.hpp"

namespace ttgs::model {
namespace {

std::vector<float> knn_distance(const PointIndex& index, int k, KnnReduce reduce) {
  const std::vector<float>& positions = index.cloud.p;
  const size_t n = index.size();
  std::vector<float> out(n, 1.f);
  if (n < 2) return out;
  const size_t kk = std::min<size_t>(size_t(k) + 1, n);  // the query point itself comes back first
  std::vector<size_t> idx(kk);
  std::vector<float> d2(kk);
  float smallest_positive = INFINITY;
  for (size_t i = 0; i < n; ++i) {
    const size_t found = index.tree.knnSearch(&positions[i * 3], kk, idx.data(), d2.data());
    double sum = 0, last = 0;
    size_t used = 0;
    for (size_t j = 0; j < found; ++j) {
      if (idx[j] == i) continue;
      last = std::sqrt(double(d2[j]));
      sum += last;
      ++used;
    }
    out[i] = used ? float(reduce == KnnReduce::kMean ? sum / double(used) : last) : 0.f;
    if (out[i] > 0) smallest_positive = std::min(smallest_positive, out[i]);
  }
  // Duplicate points have distance 0: give them the smallest positive distance so log-scales stay finite.
  const float floor_value = std::isfinite(smallest_positive) ? smallest_positive : 1e-3f;
  for (float& d : out) d = std::max(d, floor_value);
  return out;
}

float logit(float p) { return std::log(p / (1.f - p)); }

// The covariance of each point's k nearest neighbours (itself included): (N, 3, 3) double.
at::Tensor neighbourhood_covariances(const PointIndex& index, int k) {
  const std::vector<float>& positions = index.cloud.p;
  const size_t n = index.size(), kk = std::min<size_t>(size_t(k) + 1, n);
  at::Tensor cov = at::zeros({int64_t(n), 3, 3}, at::kDouble);
  double* out = cov.data_ptr<double>();
  std::vector<size_t> idx(kk);
  std::vector<float> d2(kk);
  for (size_t i = 0; i < n; ++i) {
    const size_t found = index.tree.knnSearch(&positions[i * 3], kk, idx.data(), d2.data());
    double mean[3] = {0, 0, 0};
    for (size_t j = 0; j < found; ++j)
      for (int a = 0; a < 3; ++a) mean[a] += positions[idx[j] * 3 + size_t(a)] / double(found);
    double* c = out + 9 * i;
    for (size_t j = 0; j < found; ++j)
      for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b)
          c[3 * a + b] += (positions[idx[j] * 3 + size_t(a)] - mean[a]) * (positions[idx[j] * 3 + size_t(b)] - mean[b]);
  }
  return cov;
}

// Gaussians whose neighbourhood is planar (thin across, not a line) become discs on that plane: axes from the
// principal directions (largest first, the normal last), scales d, d and thickness x d.
void flatten_surfels(const PointIndex& index, const std::vector<float>& dist, const InitOptions& opt,
                     at::Tensor& log_scales, at::Tensor& quats) {
  const auto [values, vectors] = at::linalg_eigh(neighbourhood_covariances(index, opt.surfel_neighbours));
  const at::Tensor l = values.contiguous(), e = vectors.contiguous();  // ascending; eigenvectors as columns
  const double* lv = l.data_ptr<double>();
  const double* ev = e.data_ptr<double>();
  float* s = log_scales.data_ptr<float>();
  float* q = quats.data_ptr<float>();
  for (size_t i = 0; i < dist.size(); ++i) {
    const double* lam = lv + 3 * i;
    if (!(lam[0] <= 0.1 * lam[1] && lam[1] >= 0.05 * lam[2])) continue;
    const double* m = ev + 9 * i;
    // Columns: the largest and the middle principal direction, and their cross product (the normal, right-handed).
    const Vec3 major{m[2], m[5], m[8]}, middle{m[1], m[4], m[7]};
    const Vec3 normal = cross(major, middle);
    Mat3 r;
    for (size_t a = 0; a < 3; ++a) r[a] = {major[a], middle[a], normal[a]};
    const Quat quat = rotation_to_quat(r);
    for (int c = 0; c < 4; ++c) q[4 * i + size_t(c)] = float(quat[size_t(c)]);
    s[3 * i + 2] = std::log(opt.surfel_thickness * dist[i]);
  }
}

Gaussians make_gaussians(const std::vector<float>& positions, const std::vector<float>& colors,
                         const InitOptions& opt) {
  if (!(opt.opacity > 0 && opt.opacity < 1)) throw std::invalid_argument("initial opacity must lie in (0, 1)");
  if (opt.sh_degree < 0 || opt.sh_degree > 3) throw std::invalid_argument("SH degree must be 0..3");
  if (!(opt.surfel_thickness > 0 && opt.surfel_thickness <= 1))
    throw std::invalid_argument("surfel thickness must lie in (0, 1]");
  const int64_t n = int64_t(positions.size() / 3);
  const PointIndex index(positions);
  const std::vector<float> dist = knn_distance(index, opt.knn, KnnReduce::kMean);
  Gaussians g;
  g.means = at::from_blob(const_cast<float*>(positions.data()), {n, 3}, at::kFloat).clone();
  g.log_scales = at::from_blob(const_cast<float*>(dist.data()), {n, 1}, at::kFloat).clone().log().expand({n, 3}).contiguous();
  g.quats = at::zeros({n, 4}, at::kFloat);
  g.quats.select(1, 0).fill_(1.f);
  if (opt.surfel_neighbours >= 3 && n >= 4) flatten_surfels(index, dist, opt, g.log_scales, g.quats);
  g.opacity_logits = at::full({n, 1}, logit(opt.opacity), at::kFloat);
  const at::Tensor rgb = at::from_blob(const_cast<float*>(colors.data()), {n, 3}, at::kFloat).clone();
  g.sh_dc = (rgb - 0.5) / kShC0;
  g.sh_rest = at::zeros({n, sh_rest_count(opt.sh_degree), 3}, at::kFloat);
  return g;
}

}  // namespace

std::vector<float> mean_knn_distance(const std::vector<float>& positions, int k) {
  return knn_distance(positions, k, KnnReduce::kMean);
}

std::vector<float> knn_distance(const std::vector<float>& positions, int k, KnnReduce reduce) {
  return knn_distance(PointIndex(positions), k, reduce);
}

Gaussians init_from_points(const PointCloud& points, const InitOptions& opt) {
  if (points.size() == 0) throw std::invalid_argument("cannot initialize from an empty point cloud");
  std::vector<float> colors = points.colors;
  if (colors.empty()) colors.assign(points.positions.size(), 0.5f);
  return make_gaussians(points.positions, colors, opt);
}

Gaussians init_random(const std::vector<Camera>& cameras, const RandomInitOptions& opt) {
  if (cameras.empty()) throw std::invalid_argument("random initialization needs at least one camera");
  if (opt.count <= 0) throw std::invalid_argument("random initialization needs a positive count");
  // Centre: the point closest (least squares) to every optical axis; scale: median camera distance to it.
  Mat3 A{};
  Vec3 b{0, 0, 0}, mean_center{0, 0, 0};
  for (const Camera& c : cameras) {
    const Vec3 o = c.center();
    const Vec3 d = transpose(c.R) * Vec3{0, 0, 1};
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        const double m = (i == j ? 1.0 : 0.0) - d[i] * d[j];
        A[i][j] += m;
        b[i] += m * o[j];
      }
    mean_center = mean_center + (1.0 / cameras.size()) * o;
  }
  const double det = A[0][0] * (A[1][1] * A[2][2] - A[1][2] * A[2][1]) - A[0][1] * (A[1][0] * A[2][2] - A[1][2] * A[2][0]) +
                     A[0][2] * (A[1][0] * A[2][1] - A[1][1] * A[2][0]);
  Vec3 center;
  if (std::abs(det) > 1e-6 * cameras.size()) {
    Mat3 inv;
    inv[0] = {A[1][1] * A[2][2] - A[1][2] * A[2][1], A[0][2] * A[2][1] - A[0][1] * A[2][2], A[0][1] * A[1][2] - A[0][2] * A[1][1]};
    inv[1] = {A[1][2] * A[2][0] - A[1][0] * A[2][2], A[0][0] * A[2][2] - A[0][2] * A[2][0], A[0][2] * A[1][0] - A[0][0] * A[1][2]};
    inv[2] = {A[1][0] * A[2][1] - A[1][1] * A[2][0], A[0][1] * A[2][0] - A[0][0] * A[2][1], A[0][0] * A[1][1] - A[0][1] * A[1][0]};
    center = (1.0 / det) * (inv * b);
  } else {  // parallel axes (a camera moving straight ahead): look one unit ahead of the mean camera
    Vec3 d{0, 0, 0};
    for (const Camera& c : cameras) d = d + transpose(c.R) * Vec3{0, 0, 1};
    center = mean_center + (1.0 / std::max(1e-9, norm(d))) * d;
  }
  std::vector<double> dists;
  for (const Camera& c : cameras) dists.push_back(norm(c.center() - center));
  std::nth_element(dists.begin(), dists.begin() + dists.size() / 2, dists.end());
  const double radius = std::max(1e-3, dists[dists.size() / 2]);

  std::mt19937_64 rng(opt.seed);
  std::uniform_real_distribution<double> uni(-1.0, 1.0), unit(0.0, 1.0);
  const auto visible_count = [&](const Vec3& p) {
    size_t seen = 0;
    for (const Camera& c : cameras) {
      const Vec3 q = c.world_to_camera(p);
      if (q[2] <= 1e-6) continue;
      const double u = c.fx * q[0] / q[2] + c.cx, v = c.fy * q[1] / q[2] + c.cy;
      if (u >= 0 && v >= 0 && u < c.width && v < c.height) ++seen;
    }
    return seen;
  };
  std::vector<float> pos, col;
  for (size_t required : {cameras.size(), (cameras.size() + 1) / 2, size_t(1)}) {
    pos.clear();
    const int64_t max_tries = opt.count * 200;
    for (int64_t t = 0; t < max_tries && int64_t(pos.size() / 3) < opt.count; ++t) {
      const Vec3 p = center + radius * Vec3{uni(rng), uni(rng), uni(rng)};
      if (visible_count(p) >= required)
        for (double v : p) pos.push_back(float(v));
    }
    if (int64_t(pos.size() / 3) == opt.count) break;
  }
  if (pos.empty()) throw std::invalid_argument("random initialization: no point is visible from the cameras");
  col.resize(pos.size());
  for (float& c : col) c = float(unit(rng));
  return make_gaussians(pos, col, opt.base);
}

}  // namespace ttgs::model
