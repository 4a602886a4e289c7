#include "refine/point_registration.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

#include "core/parallel.hpp"
#include "core/point_depth.hpp"

namespace ttgs::refine {
namespace {

// [Exp(w) (I - Exp(w)) p + v; 0 1], p = (0, 0, pivot).
Pose correction(const PoseVector& d, double pivot) {
  const Vec3 w{d[0], d[1], d[2]};
  const double angle = norm(w);
  Mat3 r = identity3();
  if (angle > 1e-15) {
    const double s = std::sin(angle / 2) / angle;
    r = quat_to_rotation({std::cos(angle / 2), s * w[0], s * w[1], s * w[2]});
  }
  const Vec3 p{0, 0, pivot};
  return Pose{r, p - r * p + Vec3{d[3], d[4], d[5]}};
}

// Bilinear sample of channel-interleaved rgb at pixel coordinates (x, y) = (u, v) - 0.5, edges clamped.
void sample(const RegistrationPhoto& ph, double x, double y, float out[3]) {
  x = std::clamp(x, 0.0, double(ph.width - 1));
  y = std::clamp(y, 0.0, double(ph.height - 1));
  const int x0 = std::min(int(x), ph.width - 2 < 0 ? 0 : ph.width - 2);
  const int y0 = std::min(int(y), ph.height - 2 < 0 ? 0 : ph.height - 2);
  const int x1 = std::min(x0 + 1, ph.width - 1), y1 = std::min(y0 + 1, ph.height - 1);
  const float fx = float(x - x0), fy = float(y - y0);
  const float* a = ph.rgb + (size_t(y0) * size_t(ph.width) + size_t(x0)) * 3;
  const float* b = ph.rgb + (size_t(y0) * size_t(ph.width) + size_t(x1)) * 3;
  const float* c = ph.rgb + (size_t(y1) * size_t(ph.width) + size_t(x0)) * 3;
  const float* d = ph.rgb + (size_t(y1) * size_t(ph.width) + size_t(x1)) * 3;
  for (int k = 0; k < 3; ++k)
    out[k] = (a[k] * (1 - fx) + b[k] * fx) * (1 - fy) + (c[k] * (1 - fx) + d[k] * fx) * fy;
}

// The points a photo shows at the current correction (in front, inside the border, not behind a nearer point,
// not masked), with their colour there.
struct Seen {
  std::vector<uint32_t> point;
  std::vector<float> rgb;  // 3 per point
};

Seen observe(const std::vector<Vec3>& points, const RegistrationPhoto& ph, const Pose& world_to_camera, int border) {
  std::vector<uint32_t> index;
  std::vector<float> u, v, depth;
  for (size_t k = 0; k < points.size(); ++k) {
    const Vec3 c = world_to_camera.apply(points[k]);
    if (!(c[2] > 0.1)) continue;
    const double pu = ph.fx * c[0] / c[2] + ph.cx, pv = ph.fy * c[1] / c[2] + ph.cy;
    if (!(pu >= border && pv >= border && pu < ph.width - border && pv < ph.height - border)) continue;
    index.push_back(uint32_t(k));
    u.push_back(float(pu));
    v.push_back(float(pv));
    depth.push_back(float(c[2]));
  }
  const PointDepthBuffer front = point_depth_buffer(u.data(), v.data(), depth.data(), u.size(), ph.width, ph.height,
                                                   point_depth_cell(ph.width, ph.height));
  Seen seen;
  for (size_t k = 0; k < index.size(); ++k) {
    if (!front.visible(u[k], v[k], depth[k])) continue;
    if (ph.mask && ph.mask[size_t(v[k]) * size_t(ph.width) + size_t(u[k])] < 0.5f) continue;
    float rgb[3];
    sample(ph, u[k] - 0.5, v[k] - 0.5, rgb);
    seen.point.push_back(index[k]);
    seen.rgb.insert(seen.rgb.end(), rgb, rgb + 3);
  }
  return seen;
}

// Every point's colours in the colouring photos, point by point (compressed rows), with the group of each.
struct ColourTable {
  std::vector<size_t> first;  // per point + 1
  std::vector<uint32_t> group, photo;
  std::vector<float> rgb;  // 3 per entry

  ColourTable(size_t points, const std::vector<RegistrationPhoto>& photos, const std::vector<Seen>& seen)
      : first(points + 1, 0) {
    for (size_t p = 0; p < photos.size(); ++p)
      if (photos[p].colours_points)
        for (uint32_t k : seen[p].point) ++first[k + 1];
    for (size_t k = 0; k < points; ++k) first[k + 1] += first[k];
    group.resize(first.back());
    photo.resize(first.back());
    rgb.resize(3 * first.back());
    std::vector<size_t> next(first.begin(), first.end() - 1);
    for (size_t p = 0; p < photos.size(); ++p) {
      if (!photos[p].colours_points) continue;
      for (size_t j = 0; j < seen[p].point.size(); ++j) {
        const size_t e = next[seen[p].point[j]]++;
        group[e] = uint32_t(photos[p].group);
        photo[e] = uint32_t(p);
        std::copy_n(&seen[p].rgb[3 * j], 3, &rgb[3 * e]);
      }
    }
  }

  // The per-channel median of the point's colours in photos of groups other than `own`; false with fewer than
  // `min_views` of them.
  bool median_without(uint32_t point, size_t own, size_t min_views, float out[3], std::vector<float>& buffer) const {
    for (int c = 0; c < 3; ++c) {
      buffer.clear();
      for (size_t e = first[point]; e < first[point + 1]; ++e)
        if (group[e] != own) buffer.push_back(rgb[3 * e + size_t(c)]);
      if (buffer.size() < std::max<size_t>(1, min_views)) return false;
      std::nth_element(buffer.begin(), buffer.begin() + ptrdiff_t(buffer.size() / 2), buffer.end());
      out[c] = buffer[buffer.size() / 2];
    }
    return true;
  }
};

// One photo's part of a group's cost: its points and the colours they should show.
struct PhotoTerms {
  size_t photo = 0;
  std::vector<uint32_t> point;
  std::vector<float> target;  // 3 per point
};

double huber(double r, double k) { return std::abs(r) <= k ? 0.5 * r * r : k * (std::abs(r) - 0.5 * k); }
double huber_weight(double r, double k) { return std::abs(r) <= k ? 1.0 : k / std::abs(r); }

// A point's colour in a photo whose owner camera sees the world through `owner` (the corrected world-to-camera),
// and with `jacobian` its derivatives in the group's correction (the left perturbation's: exact at delta = 0; the
// search's small steps make the difference immaterial). False behind the camera.
struct PointSample {
  double rgb[3];
  double d[3][6];  // d rgb[c] / d delta
};

bool sample_point(const RegistrationPhoto& ph, const Pose& owner, double pivot, const Vec3& point, bool jacobian,
                  PointSample& out) {
  const Vec3 xo = owner.apply(point);
  const Vec3 xc = ph.relative.apply(xo);
  if (!(xc[2] > 1e-3)) return false;
  const double x = ph.fx * xc[0] / xc[2] + ph.cx - 0.5, y = ph.fy * xc[1] / xc[2] + ph.cy - 0.5;
  float rgb[3];
  sample(ph, x, y, rgb);
  for (int c = 0; c < 3; ++c) out.rgb[c] = double(rgb[c]);
  if (!jacobian) return true;
  float xp[3], xm[3], yp[3], ym[3];
  sample(ph, x + 0.5, y, xp);
  sample(ph, x - 0.5, y, xm);
  sample(ph, x, y + 0.5, yp);
  sample(ph, x, y - 0.5, ym);
  // d(pixel)/d(camera point), then d(camera point)/d(delta) = R_rel [-(xo - p)x | I].
  const double iz = 1 / xc[2];
  const double dpix[2][3] = {{ph.fx * iz, 0, -ph.fx * xc[0] * iz * iz}, {0, ph.fy * iz, -ph.fy * xc[1] * iz * iz}};
  const Vec3 q{xo[0], xo[1], xo[2] - pivot};
  const double dxo[3][6] = {{0, q[2], -q[1], 1, 0, 0}, {-q[2], 0, q[0], 0, 1, 0}, {q[1], -q[0], 0, 0, 0, 1}};
  double dpd[2][6] = {};
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b) {
      double s = 0;  // (dpix · R_rel)[a][b]
      for (int m = 0; m < 3; ++m) s += dpix[a][m] * ph.relative.rotation[size_t(m)][size_t(b)];
      for (int n = 0; n < 6; ++n) dpd[a][n] += s * dxo[b][n];
    }
  for (int c = 0; c < 3; ++c)
    for (int n = 0; n < 6; ++n) out.d[c][n] = double(xp[c] - xm[c]) * dpd[0][n] + double(yp[c] - ym[c]) * dpd[1][n];
  return true;
}

// The group's mean Huber cost at `delta` against fixed colours and, when `e` is given, the Gauss-Newton normal
// equations there (each residual weighted as iteratively reweighted least squares weights Huber's).
double group_cost(const std::vector<Vec3>& points, const std::vector<RegistrationPhoto>& photos,
                  const RegistrationGroup& g, const std::vector<PhotoTerms>& terms, const PoseVector& delta,
                  double k, NormalEquations* e) {
  const Pose owner = correction(delta, g.pivot).compose(g.owner_viewmat);
  double cost = 0;
  size_t count = 0;
  NormalEquations sum;
  for (const PhotoTerms& t : terms) {
    const RegistrationPhoto& ph = photos[t.photo];
    for (size_t j = 0; j < t.point.size(); ++j) {
      PointSample s;
      if (!sample_point(ph, owner, g.pivot, points[t.point[j]], e != nullptr, s)) continue;
      count += 3;
      for (int c = 0; c < 3; ++c) {
        const double r = s.rgb[c] - double(t.target[3 * j + size_t(c)]);
        cost += huber(r, k);
        if (!e) continue;
        const double w = huber_weight(r, k);
        for (int a = 0; a < 6; ++a) {
          sum.jtr[size_t(a)] += w * s.d[c][a] * r;
          for (int b = 0; b < 6; ++b) sum.jtj[size_t(a * 6 + b)] += w * s.d[c][a] * s.d[c][b];
        }
      }
    }
  }
  if (count == 0) return 0;
  if (e) {
    for (double& v : sum.jtj) v /= double(count);
    for (double& v : sum.jtr) v /= double(count);
    *e = sum;
  }
  return cost / double(count);
}

// Group g's terms this round: each point its photos show, against its colour in the other groups' photos.
std::vector<PhotoTerms> group_terms(size_t g, const std::vector<RegistrationPhoto>& photos, const std::vector<Seen>& seen,
                                    const ColourTable& colours, size_t min_views) {
  std::vector<PhotoTerms> terms;
  std::vector<float> buffer;
  for (size_t p = 0; p < photos.size(); ++p) {
    if (photos[p].group != g) continue;
    PhotoTerms t;
    t.photo = p;
    for (uint32_t k : seen[p].point) {
      float target[3];
      if (!colours.median_without(k, g, min_views, target, buffer)) continue;
      t.point.push_back(k);
      t.target.insert(t.target.end(), target, target + 3);
    }
    terms.push_back(std::move(t));
  }
  return terms;
}

void align_group(const std::vector<Vec3>& points, const std::vector<RegistrationPhoto>& photos, RegistrationGroup& g,
                 const std::vector<PhotoTerms>& terms, const PointRegistrationOptions& o) {
  FramePoseSearch s;
  s.delta = s.best = g.delta;
  pose_search_new_level(s, o.search);
  g.residuals = 0;
  for (const PhotoTerms& t : terms) g.residuals += 3 * t.point.size();
  if (g.residuals == 0) return;
  for (int m = 0; m < o.iterations && !s.settled; ++m) {
    NormalEquations e;
    const double cost = group_cost(points, photos, g, terms, s.delta, o.huber, &e);
    if (m == 0) g.cost_start = cost;
    if (pose_search_measure(s, cost, o.search)) pose_search_propose(s, &e, g.pixels_per_unit, o.search);
    else pose_search_propose(s, nullptr, g.pixels_per_unit, o.search);
  }
  g.delta = s.best;
  g.cost_end = s.best_cost;
}

// --- The joint adjustment of the training groups: colours as unknowns, eliminated point by point.

// The normal equations of every free group at once (6 per free group), and the cost.
struct JointSystem {
  size_t size = 0;  // 6 x free groups
  std::vector<double> h, b;
  double cost = 0;
  size_t count = 0;
  explicit JointSystem(size_t n = 0) : size(n), h(n * n, 0.0), b(n, 0.0) {}
  void add(const JointSystem& o) {
    for (size_t k = 0; k < h.size(); ++k) h[k] += o.h[k];
    for (size_t k = 0; k < b.size(); ++k) b[k] += o.b[k];
    cost += o.cost;
    count += o.count;
  }
};

// Per-thread scratch of add_point (no allocation per point).
struct PointScratch {
  std::vector<size_t> block;     // per observation: its group's position in `touched`, or SIZE_MAX (fixed group)
  std::vector<size_t> touched;   // offsets (6 x slot) of the free groups that see the point, ascending
  std::vector<double> w;         // per observation: its Huber weight in the current channel
  std::vector<double> s;         // per channel, touched block and component: sum_k w_k J_k / sqrt(W)
};

// One point's terms. Its colour c is the Huber-weighted mean of what its training photos show (the cost's optimum
// for fixed weights), so the Gauss-Newton system in the poses alone is the Schur complement of c:
// H += sum_k w_k J_k J_kᵀ - s sᵀ / W and b += sum_k w_k J_k r_k, with s = sum_k w_k J_k, W = sum_k w_k.
// Only H's lower triangle (row >= column) is accumulated: solve_joint reads no other.
void add_point(const std::vector<PointSample>& seen, const std::vector<long>& slot, double k, bool normals,
               JointSystem& sys, PointScratch& t) {
  const size_t n = seen.size(), size = sys.size;
  t.touched.clear();
  for (size_t j = 0; j < n; ++j)
    if (slot[j] >= 0) t.touched.push_back(size_t(slot[j]) * 6);
  std::sort(t.touched.begin(), t.touched.end());
  t.touched.erase(std::unique(t.touched.begin(), t.touched.end()), t.touched.end());
  const size_t m = t.touched.size();
  t.block.assign(n, SIZE_MAX);
  for (size_t j = 0; j < n; ++j)
    if (slot[j] >= 0)
      t.block[j] = size_t(std::lower_bound(t.touched.begin(), t.touched.end(), size_t(slot[j]) * 6) - t.touched.begin());
  t.w.resize(n);
  t.s.assign(3 * 6 * m, 0.0);
  for (int c = 0; c < 3; ++c) {
    double mean = 0;
    for (const PointSample& o : seen) mean += o.rgb[c] / double(n);
    double wsum = 0, wmean = 0;
    for (size_t j = 0; j < n; ++j) {
      const double w = huber_weight(seen[j].rgb[c] - mean, k);
      t.w[j] = w;
      wsum += w;
      wmean += w * seen[j].rgb[c];
    }
    wmean /= wsum;
    for (size_t j = 0; j < n; ++j) sys.cost += huber(seen[j].rgb[c] - wmean, k);
    sys.count += n;
    if (!normals) continue;
    const double scale = 1 / std::sqrt(wsum);
    for (size_t j = 0; j < n; ++j) {
      if (t.block[j] == SIZE_MAX) continue;
      const size_t base = t.touched[t.block[j]];
      const double w = t.w[j], r = seen[j].rgb[c] - wmean;
      const double* d = seen[j].d[c];
      double* sc = &t.s[(size_t(c) * m + t.block[j]) * 6];
      for (size_t a = 0; a < 6; ++a) {
        sc[a] += w * d[a] * scale;
        sys.b[base + a] += w * d[a] * r;
        double* row = &sys.h[(base + a) * size + base];
        for (size_t bb = 0; bb <= a; ++bb) row[bb] += w * d[a] * d[bb];
      }
    }
  }
  if (!normals) return;
  // - s sᵀ / W over the touched blocks, the three channels together, lower triangle.
  for (size_t p = 0; p < m; ++p)
    for (size_t q = 0; q <= p; ++q)
      for (size_t a = 0; a < 6; ++a) {
        double* row = &sys.h[(t.touched[p] + a) * size + t.touched[q]];
        const size_t columns = p == q ? a + 1 : 6;
        for (size_t bb = 0; bb < columns; ++bb) {
          double v = 0;
          for (size_t c = 0; c < 3; ++c) v += t.s[(c * m + p) * 6 + a] * t.s[(c * m + q) * 6 + bb];
          row[bb] -= v;
        }
      }
}

// The cost (and the system) of the training groups at `deltas`, over the points seen by at least two of them.
JointSystem joint_system(const std::vector<Vec3>& points, const std::vector<RegistrationPhoto>& photos,
                         const std::vector<RegistrationGroup>& groups, const std::vector<PoseVector>& deltas,
                         const std::vector<long>& variable, const ColourTable& table, double k, bool normals) {
  std::vector<Pose> owner(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) owner[g] = correction(deltas[g], groups[g].pivot).compose(groups[g].owner_viewmat);
  const size_t size = 6 * size_t(*std::max_element(variable.begin(), variable.end()) + 1);
  const int64_t chunks = std::max(1, num_threads());
  std::vector<JointSystem> parts(size_t(chunks), JointSystem(normals ? size : 0));
  parallel_for(0, chunks, [&](int64_t begin, int64_t end) {
    for (int64_t chunk = begin; chunk < end; ++chunk) {
      JointSystem& sys = parts[size_t(chunk)];
      sys.size = normals ? size : 0;
      std::vector<PointSample> seen;
      std::vector<long> slot;
      PointScratch scratch;
      for (size_t p = size_t(chunk); p < points.size(); p += size_t(chunks)) {
        seen.clear();
        slot.clear();
        size_t first_group = SIZE_MAX;
        bool two_groups = false;
        for (size_t e = table.first[p]; e < table.first[p + 1]; ++e) {
          const size_t g = table.group[e];
          PointSample s;
          if (!sample_point(photos[table.photo[e]], owner[g], groups[g].pivot, points[p], normals, s)) continue;
          seen.push_back(s);
          slot.push_back(variable[g]);
          two_groups = two_groups || (first_group != SIZE_MAX && g != first_group);
          if (first_group == SIZE_MAX) first_group = g;
        }
        if (two_groups) add_point(seen, slot, k, normals, sys, scratch);
      }
    }
  });
  JointSystem total(normals ? size : 0);
  for (const JointSystem& part : parts) total.add(part);
  return total;
}

// (H + lambda diag H) x = -b by Cholesky; empty when not positive definite.
std::vector<double> solve_joint(const JointSystem& sys, double lambda) {
  const size_t n = sys.size;
  std::vector<double> a = sys.h;
  for (size_t i = 0; i < n; ++i) a[i * n + i] += lambda * a[i * n + i] + 1e-12;
  for (size_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (size_t q = 0; q < j; ++q) d -= a[j * n + q] * a[j * n + q];
    if (!(d > 0)) return {};
    a[j * n + j] = std::sqrt(d);
    for (size_t i = j + 1; i < n; ++i) {
      double v = a[i * n + j];
      for (size_t q = 0; q < j; ++q) v -= a[i * n + q] * a[j * n + q];
      a[i * n + j] = v / a[j * n + j];
    }
  }
  std::vector<double> y(n), x(n);
  for (size_t i = 0; i < n; ++i) {
    double v = -sys.b[i];
    for (size_t q = 0; q < i; ++q) v -= a[i * n + q] * y[q];
    y[i] = v / a[i * n + i];
  }
  for (size_t i = n; i-- > 0;) {
    double v = y[i];
    for (size_t q = i + 1; q < n; ++q) v -= a[q * n + i] * x[q];
    x[i] = v / a[i * n + i];
  }
  return x;
}

// `deltas` moved by `scale` times the joint step (free groups only).
std::vector<PoseVector> moved(const std::vector<PoseVector>& deltas, const std::vector<double>& step, double scale,
                              const std::vector<long>& variable) {
  std::vector<PoseVector> out = deltas;
  for (size_t g = 0; g < out.size(); ++g)
    for (size_t c = 0; variable[g] >= 0 && c < 6; ++c) out[g][c] += scale * step[size_t(variable[g]) * 6 + c];
  return out;
}

// Levenberg-Marquardt on every free training group at once (the points' colours eliminated), on a fixed set of
// observations: steps bounded by max_step_px of image motion, a step kept only when the cost falls. The Huber cost's
// reweighting converges linearly: near the end a chain of groups creeps the same way by about the same step, many
// iterations in a row. So a kept step is extended (doubled while the cost keeps falling and the image motion stays
// under max_step_px), measured without normal equations, which are formed once at the point kept.
void adjust_jointly(const std::vector<Vec3>& points, const std::vector<RegistrationPhoto>& photos,
                    std::vector<RegistrationGroup>& groups, const std::vector<long>& variable,
                    const ColourTable& table, int iterations, const PointRegistrationOptions& o) {
  std::vector<PoseVector> deltas(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) deltas[g] = groups[g].delta;
  const auto cost_at = [&](const std::vector<PoseVector>& d) {
    const JointSystem s = joint_system(points, photos, groups, d, variable, table, o.huber, false);
    return s.count > 0 ? s.cost : std::numeric_limits<double>::infinity();
  };
  JointSystem at_best = joint_system(points, photos, groups, deltas, variable, table, o.huber, true);
  double lambda = o.search.lambda;
  for (int m = 0; m < iterations && lambda <= o.search.max_lambda; ++m) {
    const std::vector<double> step = solve_joint(at_best, lambda);
    if (step.empty()) break;
    double motion = 0;
    for (size_t g = 0; g < groups.size(); ++g)
      for (size_t c = 0; variable[g] >= 0 && c < 6; ++c)
        motion = std::max(motion, std::abs(step[size_t(variable[g]) * 6 + c]) * groups[g].pixels_per_unit[c]);
    if (!(motion >= o.search.min_step_px)) break;
    double scale = motion > o.search.max_step_px ? o.search.max_step_px / motion : 1.0;
    double cost = cost_at(moved(deltas, step, scale, variable));
    if (!(cost < at_best.cost)) {
      lambda *= o.search.lambda_up;
      continue;
    }
    while (2 * scale * motion <= o.search.max_step_px && scale < o.max_extension) {
      const double longer = cost_at(moved(deltas, step, 2 * scale, variable));
      if (!(longer < cost)) break;
      cost = longer;
      scale *= 2;
    }
    deltas = moved(deltas, step, scale, variable);
    at_best = joint_system(points, photos, groups, deltas, variable, table, o.huber, true);
    lambda *= o.search.lambda_down;
  }
  for (size_t g = 0; g < groups.size(); ++g) groups[g].delta = deltas[g];
}

}  // namespace

Pose corrected_world_to_camera(const RegistrationPhoto& photo, const RegistrationGroup& group, const PoseVector& delta) {
  return photo.relative.compose(correction(delta, group.pivot).compose(group.owner_viewmat));
}

void register_on_points(const std::vector<Vec3>& points, const std::vector<RegistrationPhoto>& photos,
                        std::vector<RegistrationGroup>& groups, const PointRegistrationOptions& o) {
  if (points.empty() || photos.empty()) return;
  // The training groups (their photos colour the points) move together; held-out ones each on its own after them.
  std::vector<bool> colouring(groups.size(), false);
  for (const RegistrationPhoto& ph : photos) colouring[ph.group] = colouring[ph.group] || ph.colours_points;
  std::vector<long> variable(groups.size(), -1);
  long free_groups = 0;
  for (size_t g = 0; g < groups.size(); ++g)
    if (colouring[g] && !groups[g].fixed) variable[g] = free_groups++;
  for (int round = 0; round < o.rounds; ++round) {
    std::vector<Seen> seen(photos.size());
    parallel_for(0, int64_t(photos.size()), [&](int64_t begin, int64_t end) {
      for (int64_t p = begin; p < end; ++p) {
        const RegistrationPhoto& ph = photos[size_t(p)];
        const RegistrationGroup& g = groups[ph.group];
        seen[size_t(p)] = observe(points, ph, corrected_world_to_camera(ph, g, g.delta), o.border);
      }
    });
    const ColourTable colours(points.size(), photos, seen);
    if (free_groups > 0) adjust_jointly(points, photos, groups, variable, colours, o.iterations, o);
    const bool last = round + 1 == o.rounds;
    parallel_for(0, int64_t(groups.size()), [&](int64_t begin, int64_t end) {
      for (int64_t g = begin; g < end; ++g) {
        // Held-out groups against the training photos' colours (last round: at the adjusted poses); the cost of the
        // training groups measured the same way, for the report.
        if (groups[size_t(g)].fixed || (colouring[size_t(g)] && !last)) continue;
        const std::vector<PhotoTerms> terms = group_terms(size_t(g), photos, seen, colours, o.min_views);
        if (colouring[size_t(g)]) {
          RegistrationGroup& rg = groups[size_t(g)];
          rg.residuals = 0;
          for (const PhotoTerms& t : terms) rg.residuals += 3 * t.point.size();
          rg.cost_start = rg.cost_end = group_cost(points, photos, rg, terms, rg.delta, o.huber, nullptr);
        } else {
          align_group(points, photos, groups[size_t(g)], terms, o);
        }
      }
    });
  }
}

}  // namespace ttgs::refine
