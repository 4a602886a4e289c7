#include "render/project.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>

#include "core/parallel.hpp"
#include "render/project_lanes.hpp"
#include "render/rasterize_tiles.hpp"
#include "render/sh.hpp"

namespace ttgs::render {
namespace {

template <typename T>
using M3 = T[3][3];

template <typename T>
void matmul(const M3<T>& a, const M3<T>& b, M3<T>& r) {
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
}
template <typename T>
void matmul_bt(const M3<T>& a, const M3<T>& b, M3<T>& r) {  // a · bᵀ
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r[i][j] = a[i][0] * b[j][0] + a[i][1] * b[j][1] + a[i][2] * b[j][2];
}
template <typename T>
void matmul_at(const M3<T>& a, const M3<T>& b, M3<T>& r) {  // aᵀ · b
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) r[i][j] = a[0][i] * b[0][j] + a[1][i] * b[1][j] + a[2][i] * b[2][j];
}

// Everything the projection of one Gaussian computes, shared by forward and backward.
template <typename T>
struct Geometry {
  T p[3];                  // camera-space mean
  T qn[4], qnorm;          // normalized quaternion and the original norm
  T R[3][3], s[3], M[3][3];
  T Sigma[3][3], SigmaC[3][3];
  T inv_z;                 // 1 / camera z
  T xz, yz;                // clamped x/z, y/z used in J
  bool clamp_x, clamp_y;
  T J[2][3];
  T A0, B, C0;             // 2D covariance before dilation
  T A, C, det, det0, comp; // dilated, and compensation
  bool valid = false;
};

// What the projection of every Gaussian shares: the camera and the configuration, converted once per call.
template <typename T>
struct View {
  T W[3][3], t[3];
  T centre[3];  // camera centre in world coordinates, -Wᵀ t (SH view directions start there)
  T fx, fy, near, far, eps2d;
  T x_lo, x_hi, y_lo, y_hi;  // where x/z and y/z are clamped for the Jacobian (guard band)
  bool antialiased;
  View(const T* vm, const Intrinsics& in, const RasterConfig& cfg)
      : fx(T(in.fx)), fy(T(in.fy)), near(T(cfg.near)), far(T(cfg.far)), eps2d(T(cfg.eps2d)),
        antialiased(cfg.antialiased) {
    for (int r = 0; r < 3; ++r) {
      for (int c = 0; c < 3; ++c) W[r][c] = vm[r * 4 + c];
      t[r] = vm[r * 4 + 3];
    }
    for (int c = 0; c < 3; ++c) centre[c] = -(W[0][c] * t[0] + W[1][c] * t[1] + W[2][c] * t[2]);
    const double half_x = 0.5 * in.width / in.fx, mid_x = (0.5 * in.width - in.cx) / in.fx;
    const double half_y = 0.5 * in.height / in.fy, mid_y = (0.5 * in.height - in.cy) / in.fy;
    x_lo = T(mid_x - cfg.guard * half_x);
    x_hi = T(mid_x + cfg.guard * half_x);
    y_lo = T(mid_y - cfg.guard * half_y);
    y_hi = T(mid_y + cfg.guard * half_y);
  }
};

template <typename T>
inline void compute_geometry(const GaussianParams<T>& g, int64_t i, const View<T>& V, Geometry<T>& G) {
  const T* mu = g.means + 3 * i;
  for (int r = 0; r < 3; ++r) G.p[r] = V.W[r][0] * mu[0] + V.W[r][1] * mu[1] + V.W[r][2] * mu[2] + V.t[r];
  G.valid = false;
  const T z = G.p[2];
  if (!(z > V.near && z < V.far)) return;
  const T* q = g.quats + 4 * i;
  G.qnorm = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  if (!(G.qnorm > T(0))) return;
  const T inv_qnorm = T(1) / G.qnorm;
  for (int k = 0; k < 4; ++k) G.qn[k] = q[k] * inv_qnorm;
  const T w = G.qn[0], x = G.qn[1], y = G.qn[2], zq = G.qn[3];
  const T R[3][3] = {{1 - 2 * (y * y + zq * zq), 2 * (x * y - w * zq), 2 * (x * zq + w * y)},
                     {2 * (x * y + w * zq), 1 - 2 * (x * x + zq * zq), 2 * (y * zq - w * x)},
                     {2 * (x * zq - w * y), 2 * (y * zq + w * x), 1 - 2 * (x * x + y * y)}};
  for (int r = 0; r < 3; ++r) {
    G.s[r] = std::exp(g.log_scales[3 * i + r]);
    for (int c = 0; c < 3; ++c) G.R[r][c] = R[r][c];
  }
  for (int r = 0; r < 3; ++r)
    for (int c = 0; c < 3; ++c) G.M[r][c] = G.R[r][c] * G.s[c];
  matmul_bt(G.M, G.M, G.Sigma);
  T WS[3][3];
  matmul(V.W, G.Sigma, WS);
  matmul_bt(WS, V.W, G.SigmaC);
  const T inv_z = G.inv_z = T(1) / z;
  const T rx = G.p[0] * inv_z, ry = G.p[1] * inv_z;
  G.xz = std::clamp(rx, V.x_lo, V.x_hi);
  G.yz = std::clamp(ry, V.y_lo, V.y_hi);
  G.clamp_x = G.xz != rx;
  G.clamp_y = G.yz != ry;
  const T fx = V.fx, fy = V.fy;
  G.J[0][0] = fx * inv_z; G.J[0][1] = 0; G.J[0][2] = -fx * G.xz * inv_z;
  G.J[1][0] = 0; G.J[1][1] = fy * inv_z; G.J[1][2] = -fy * G.yz * inv_z;
  T JS[2][3];
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c) JS[r][c] = G.J[r][0] * G.SigmaC[0][c] + G.J[r][1] * G.SigmaC[1][c] + G.J[r][2] * G.SigmaC[2][c];
  G.A0 = JS[0][0] * G.J[0][0] + JS[0][1] * G.J[0][1] + JS[0][2] * G.J[0][2];
  G.B = JS[0][0] * G.J[1][0] + JS[0][1] * G.J[1][1] + JS[0][2] * G.J[1][2];
  G.C0 = JS[1][0] * G.J[1][0] + JS[1][1] * G.J[1][1] + JS[1][2] * G.J[1][2];
  G.A = G.A0 + V.eps2d;
  G.C = G.C0 + V.eps2d;
  G.det = G.A * G.C - G.B * G.B;
  G.det0 = G.A0 * G.C0 - G.B * G.B;
  if (!(G.det > T(0))) return;
  G.comp = V.antialiased ? std::sqrt(std::max(T(0), G.det0 / G.det)) : T(1);
  G.valid = true;
}

// Where the 3 colour channels of SH coefficient k (0 = DC) of Gaussian i lie, in GaussianParams' or GaussianGrads'
// two arrays (dc: n x 3, rest: n x (K - 1) x 3).
template <typename P>
P* sh_coefficient(P* dc, P* rest, int sh_coeffs, int64_t i, int k) {
  return k == 0 ? dc + 3 * i : rest + (i * (sh_coeffs - 1) + k - 1) * 3;
}

// The SH degree the projection evaluates: the configured one, clipped to what the Gaussians store.
int active_sh_degree(const RasterConfig& cfg, int sh_coeffs) {
  return std::min(cfg.sh_degree, int(std::lround(std::sqrt(double(sh_coeffs)))) - 1);
}

// Blocks of Gaussians with one d loss / d viewmat partial sum each, added in block order (deterministic).
int64_t viewmat_blocks(int64_t n) { return std::max<int64_t>(1, std::min<int64_t>(64, n / 256)); }

template <typename T>
T sigmoid(T x) {
  return T(1) / (T(1) + std::exp(-x));
}

}  // namespace

template <typename T>
void ProjectedGrads<T>::resize(int64_t n) {
  mean2d.assign(size_t(2 * n), T(0));
  conic.assign(size_t(3 * n), T(0));
  depth.assign(size_t(n), T(0));
  opacity.assign(size_t(n), T(0));
  color.assign(size_t(3 * n), T(0));
}

template <typename T>
void GaussianGrads<T>::resize(int64_t n, int K) {
  means.resize(size_t(3 * n));
  log_scales.resize(size_t(3 * n));
  quats.resize(size_t(4 * n));
  opacity_logits.resize(size_t(n));
  sh_dc.resize(size_t(n) * 3);
  sh_rest.resize(size_t(n) * (K - 1) * 3);
  std::fill(viewmat, viewmat + 16, T(0));
}

template <typename T>
void project_forward_scalar(const GaussianParams<T>& g, const T* vm, const Intrinsics& in, const RasterConfig& cfg,
                            Projected<T>& out) {
  const int64_t n = g.n;
  out.n = n;
  out.mean2d.assign(size_t(2 * n), T(0));
  out.conic.assign(size_t(3 * n), T(0));
  out.depth.assign(size_t(n), T(0));
  out.opacity.assign(size_t(n), T(0));
  out.alpha_tau.assign(size_t(n), T(-1));
  out.color.assign(size_t(3 * n), T(0));
  out.radius.assign(size_t(n), 0);
  const int degree = active_sh_degree(cfg, g.sh_coeffs);
  const View<T> view(vm, in, cfg);
  parallel_for(0, n, [&](int64_t b, int64_t e) {
    Geometry<T> G;
    T basis[kMaxShCoeffs];
    for (int64_t i = b; i < e; ++i) {
      compute_geometry(g, i, view, G);
      if (!G.valid) continue;
      const T z = G.p[2];
      const T u = T(in.fx) * G.p[0] * G.inv_z + T(in.cx), v = T(in.fy) * G.p[1] * G.inv_z + T(in.cy);
      const T opacity = sigmoid(g.opacity_logits[i]) * G.comp;
      // alpha >= alpha_min where dᵀ conic d <= tau; tau < 0: never.
      const T tau = opacity >= T(cfg.alpha_min) ? T(2) * std::log(opacity / T(cfg.alpha_min)) : T(-1);
      T extent = T(3);
      if (cfg.opacity_aware_extent) {
        if (tau < T(0)) continue;  // can never reach alpha_min
        extent = std::min(extent, std::sqrt(tau));
      }
      const T mid = T(0.5) * (G.A + G.C);
      const T lambda = mid + std::sqrt(std::max(T(0.1), mid * mid - G.det));
      const int32_t radius = int32_t(std::ceil(extent * std::sqrt(lambda)));
      if (radius <= 0) continue;
      // Cull when the 3-sigma square misses every pixel centre.
      if (u + radius < T(0.5) || u - radius > T(in.width - 0.5) || v + radius < T(0.5) || v - radius > T(in.height - 0.5))
        continue;
      out.radius[i] = radius;
      out.mean2d[2 * i] = u;
      out.mean2d[2 * i + 1] = v;
      const T inv_det = T(1) / G.det;
      out.conic[3 * i] = G.C * inv_det;
      out.conic[3 * i + 1] = -G.B * inv_det;
      out.conic[3 * i + 2] = G.A * inv_det;
      out.depth[i] = z;
      out.opacity[i] = opacity;
      out.alpha_tau[i] = tau;
      // Colour from SH at the direction camera centre -> mean.
      T d[3];
      for (int r = 0; r < 3; ++r) d[r] = g.means[3 * i + r] - view.centre[r];
      const T inv_len = T(1) / std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
      sh_basis<T>(degree, d[0] * inv_len, d[1] * inv_len, d[2] * inv_len, basis, nullptr);
      const int K = (degree + 1) * (degree + 1);
      for (int c = 0; c < 3; ++c) {
        T acc = T(0.5);
        for (int k = 0; k < K; ++k) acc += basis[k] * sh_coefficient(g.sh_dc, g.sh_rest, g.sh_coeffs, i, k)[c];
        out.color[3 * i + c] = std::max(acc, T(0));
      }
    }
  }, 256);
}

template <typename T>
void project_backward_scalar(const GaussianParams<T>& g, const T* vm, const Intrinsics& in, const RasterConfig& cfg,
                             const Projected<T>& proj, const ProjectedGrads<T>& gi, GaussianGrads<T>& go) {
  const int64_t n = g.n;
  go.resize(n, g.sh_coeffs);
  const int degree = active_sh_degree(cfg, g.sh_coeffs);
  const int K = (degree + 1) * (degree + 1);
  const int64_t blocks = viewmat_blocks(n);
  std::vector<std::array<T, 16>> partial(static_cast<size_t>(blocks));
  const View<T> view(vm, in, cfg);
  parallel_for(0, blocks, [&](int64_t b0, int64_t b1) {
    Geometry<T> G;
    T basis[kMaxShCoeffs], dbasis[kMaxShCoeffs][3];
    for (int64_t blk = b0; blk < b1; ++blk) {
      T dW[3][3] = {}, dt[3] = {};
      for (int64_t i = blk * n / blocks; i < (blk + 1) * n / blocks; ++i) {
        // Zero this Gaussian's gradients here, in parallel, rather than all of them up front on one thread.
        std::fill_n(&go.means[3 * i], 3, T(0));
        std::fill_n(&go.log_scales[3 * i], 3, T(0));
        std::fill_n(&go.quats[4 * i], 4, T(0));
        go.opacity_logits[i] = T(0);
        std::fill_n(&go.sh_dc[size_t(i) * 3], 3, T(0));
        std::fill_n(&go.sh_rest[size_t(i) * (g.sh_coeffs - 1) * 3], (g.sh_coeffs - 1) * 3, T(0));
        if (proj.radius[i] == 0) continue;
        compute_geometry(g, i, view, G);
        const T z = G.p[2], fx = T(in.fx), fy = T(in.fy);
        T dp[3] = {0, 0, 0};
        // Mean in pixels and depth.
        const T gu = gi.mean2d[2 * i], gv = gi.mean2d[2 * i + 1];
        dp[0] += gu * fx / z;
        dp[1] += gv * fy / z;
        dp[2] += -gu * fx * G.p[0] / (z * z) - gv * fy * G.p[1] / (z * z) + gi.depth[i];
        // Conic -> covariance: d cov = -K G K with G the symmetric gradient matrix of the conic.
        const T ka = proj.conic[3 * i], kb = proj.conic[3 * i + 1], kc = proj.conic[3 * i + 2];
        const T ga = gi.conic[3 * i], gb = T(0.5) * gi.conic[3 * i + 1], gc = gi.conic[3 * i + 2];
        const T KG[2][2] = {{ka * ga + kb * gb, ka * gb + kb * gc}, {kb * ga + kc * gb, kb * gb + kc * gc}};
        T dA = -(KG[0][0] * ka + KG[0][1] * kb), dB2 = -(KG[0][0] * kb + KG[0][1] * kc);  // dB2: one off-diagonal
        T dC = -(KG[1][0] * kb + KG[1][1] * kc);
        // Opacity: sigmoid(logit) x compensation(cov).
        const T sig = sigmoid(g.opacity_logits[i]);
        go.opacity_logits[i] = gi.opacity[i] * G.comp * sig * (1 - sig);
        if (cfg.antialiased && G.det0 > T(0)) {
          const T dcomp = gi.opacity[i] * sig, h = T(0.5) * G.comp * dcomp;
          dA += h * (G.C0 / G.det0 - G.C / G.det);
          dC += h * (G.A0 / G.det0 - G.A / G.det);
          dB2 += h * (-G.B / G.det0 + G.B / G.det);  // per off-diagonal entry
        }
        const T dCov[2][2] = {{dA, dB2}, {dB2, dC}};
        // cov = J Σc Jᵀ: dΣc = Jᵀ dCov J, dJ = 2 dCov J Σc.
        T dSc[3][3], dJ[2][3];
        for (int r = 0; r < 3; ++r)
          for (int c = 0; c < 3; ++c) {
            T acc = 0;
            for (int a = 0; a < 2; ++a)
              for (int b = 0; b < 2; ++b) acc += G.J[a][r] * dCov[a][b] * G.J[b][c];
            dSc[r][c] = acc;
          }
        for (int a = 0; a < 2; ++a)
          for (int c = 0; c < 3; ++c) {
            T acc = 0;
            for (int b = 0; b < 2; ++b)
              for (int k = 0; k < 3; ++k) acc += dCov[a][b] * G.J[b][k] * G.SigmaC[k][c];
            dJ[a][c] = 2 * acc;
          }
        // J = [[fx/z, 0, -fx xz/z], [0, fy/z, -fy yz/z]] with xz = x/z unless clamped.
        dp[2] += -dJ[0][0] * fx / (z * z) - dJ[1][1] * fy / (z * z) + dJ[0][2] * fx * G.xz / (z * z) +
                 dJ[1][2] * fy * G.yz / (z * z);
        if (!G.clamp_x) {
          dp[0] += -dJ[0][2] * fx / (z * z);
          dp[2] += dJ[0][2] * fx * G.p[0] / (z * z * z);
        }
        if (!G.clamp_y) {
          dp[1] += -dJ[1][2] * fy / (z * z);
          dp[2] += dJ[1][2] * fy * G.p[1] / (z * z * z);
        }
        // Σc = W Σ Wᵀ.
        T tmp[3][3], dSigma[3][3];
        matmul_at(view.W, dSc, tmp);
        matmul(tmp, view.W, dSigma);
        T WS[3][3];
        matmul(view.W, G.Sigma, WS);
        for (int r = 0; r < 3; ++r)
          for (int c = 0; c < 3; ++c) {
            T acc = 0;
            for (int k = 0; k < 3; ++k) acc += dSc[r][k] * WS[k][c];
            dW[r][c] += 2 * acc;
          }
        // p = W μ + t.
        const T* mu = g.means + 3 * i;
        T* dmu = &go.means[3 * i];
        for (int r = 0; r < 3; ++r) {
          for (int c = 0; c < 3; ++c) {
            dmu[c] += view.W[r][c] * dp[r];
            dW[r][c] += dp[r] * mu[c];
          }
          dt[r] += dp[r];
        }
        // Σ = M Mᵀ, M = R diag(s).
        T dM[3][3];
        matmul(dSigma, G.M, dM);
        for (auto& row : dM)
          for (T& v : row) v *= 2;
        T dR[3][3];
        for (int r = 0; r < 3; ++r)
          for (int c = 0; c < 3; ++c) dR[r][c] = dM[r][c] * G.s[c];
        for (int c = 0; c < 3; ++c)
          go.log_scales[3 * i + c] = (dM[0][c] * G.R[0][c] + dM[1][c] * G.R[1][c] + dM[2][c] * G.R[2][c]) * G.s[c];
        const T w = G.qn[0], x = G.qn[1], y = G.qn[2], zq = G.qn[3];
        T dq[4];
        dq[0] = 2 * (-zq * dR[0][1] + y * dR[0][2] + zq * dR[1][0] - x * dR[1][2] - y * dR[2][0] + x * dR[2][1]);
        dq[1] = 2 * (y * dR[0][1] + zq * dR[0][2] + y * dR[1][0] - 2 * x * dR[1][1] - w * dR[1][2] + zq * dR[2][0] +
                     w * dR[2][1] - 2 * x * dR[2][2]);
        dq[2] = 2 * (-2 * y * dR[0][0] + x * dR[0][1] + w * dR[0][2] + x * dR[1][0] + zq * dR[1][2] - w * dR[2][0] +
                     zq * dR[2][1] - 2 * y * dR[2][2]);
        dq[3] = 2 * (-2 * zq * dR[0][0] - w * dR[0][1] + x * dR[0][2] + w * dR[1][0] - 2 * zq * dR[1][1] +
                     y * dR[1][2] + x * dR[2][0] + y * dR[2][1]);
        const T qdot = w * dq[0] + x * dq[1] + y * dq[2] + zq * dq[3];
        for (int k = 0; k < 4; ++k) go.quats[4 * i + k] = (dq[k] - G.qn[k] * qdot) / G.qnorm;
        // Colour: SH at d = μ - centre, centre = -Wᵀ t.
        T d[3];
        for (int r = 0; r < 3; ++r) d[r] = mu[r] - view.centre[r];
        const T len = std::sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        const T dir[3] = {d[0] / len, d[1] / len, d[2] / len};
        sh_basis<T>(degree, dir[0], dir[1], dir[2], basis, dbasis);
        T gcol[3];
        for (int c = 0; c < 3; ++c) gcol[c] = proj.color[3 * i + c] > T(0) ? gi.color[3 * i + c] : T(0);
        T ddir[3] = {0, 0, 0};
        for (int k = 0; k < K; ++k) {
          T s = 0;
          T* dsh = sh_coefficient(go.sh_dc.data(), go.sh_rest.data(), g.sh_coeffs, i, k);
          const T* sh = sh_coefficient(g.sh_dc, g.sh_rest, g.sh_coeffs, i, k);
          for (int c = 0; c < 3; ++c) {
            dsh[c] = basis[k] * gcol[c];
            s += sh[c] * gcol[c];
          }
          for (int a = 0; a < 3; ++a) ddir[a] += dbasis[k][a] * s;
        }
        const T dd = dir[0] * ddir[0] + dir[1] * ddir[1] + dir[2] * ddir[2];
        T dv[3];
        for (int a = 0; a < 3; ++a) {
          dv[a] = (ddir[a] - dir[a] * dd) / len;
          dmu[a] += dv[a];
        }
        // d/d centre = -dv; centre_a = -Σ_r W[r][a] t[r].
        for (int r = 0; r < 3; ++r)
          for (int a = 0; a < 3; ++a) {
            dt[r] += dv[a] * view.W[r][a];
            dW[r][a] += dv[a] * view.t[r];
          }
      }
      auto& pv = partial[size_t(blk)];
      pv.fill(T(0));
      for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 3; ++c) pv[size_t(r * 4 + c)] = dW[r][c];
        pv[size_t(r * 4 + 3)] = dt[r];
      }
    }
  }, 1);
  for (const auto& pv : partial)
    for (int k = 0; k < 16; ++k) go.viewmat[k] += pv[size_t(k)];
}

namespace {

LaneArgs lane_args(const GaussianParams<float>& g, const float* vm, const Intrinsics& in, const RasterConfig& cfg) {
  LaneArgs a{};
  a.g = g;
  const View<float> view(vm, in, cfg);
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 3; ++c) a.W[3 * r + c] = view.W[r][c];
    a.t[r] = view.t[r];
    a.centre[r] = view.centre[r];
  }
  a.fx = float(in.fx);
  a.fy = float(in.fy);
  a.cx = float(in.cx);
  a.cy = float(in.cy);
  a.width = float(in.width);
  a.height = float(in.height);
  a.near = view.near;
  a.far = view.far;
  a.eps2d = view.eps2d;
  a.alpha_min = float(cfg.alpha_min);
  a.x_lo = view.x_lo;
  a.x_hi = view.x_hi;
  a.y_lo = view.y_lo;
  a.y_hi = view.y_hi;
  a.antialiased = cfg.antialiased;
  a.opacity_aware_extent = cfg.opacity_aware_extent;
  a.degree = active_sh_degree(cfg, g.sh_coeffs);
  return a;
}

void run_lanes(const LaneArgs& a, bool backward) {
  switch (raster_isa()) {
#if defined(TTGS_HAVE_X86_ISA)
    case RasterIsa::Avx512:
      return backward ? isa_avx512::project_backward_lanes(a) : isa_avx512::project_forward_lanes(a);
    case RasterIsa::Avx2: return backward ? isa_avx2::project_backward_lanes(a) : isa_avx2::project_forward_lanes(a);
#endif
    default: return backward ? isa_baseline::project_backward_lanes(a) : isa_baseline::project_forward_lanes(a);
  }
}

}  // namespace

template <typename T>
void project_forward(const GaussianParams<T>& g, const T* vm, const Intrinsics& in, const RasterConfig& cfg,
                     Projected<T>& out) {
  if constexpr (!std::is_same_v<T, float>) {
    project_forward_scalar(g, vm, in, cfg, out);
  } else {
    const size_t n = size_t(g.n);
    out.n = g.n;
    out.mean2d.resize(2 * n);  // every element is written: no zero-fill beyond what growing does
    out.conic.resize(3 * n);
    out.color.resize(3 * n);
    out.depth.resize(n);
    out.opacity.resize(n);
    out.alpha_tau.resize(n);
    out.radius.resize(n);
    LaneArgs a = lane_args(g, vm, in, cfg);
    a.mean2d = out.mean2d.data();
    a.conic = out.conic.data();
    a.depth = out.depth.data();
    a.opacity = out.opacity.data();
    a.alpha_tau = out.alpha_tau.data();
    a.color = out.color.data();
    a.radius = out.radius.data();
    run_lanes(a, false);
  }
}

template <typename T>
void project_backward(const GaussianParams<T>& g, const T* vm, const Intrinsics& in, const RasterConfig& cfg,
                      const Projected<T>& proj, const ProjectedGrads<T>& gi, GaussianGrads<T>& go) {
  if constexpr (!std::is_same_v<T, float>) {
    project_backward_scalar(g, vm, in, cfg, proj, gi, go);
  } else {
    go.resize(g.n, g.sh_coeffs);
    LaneArgs a = lane_args(g, vm, in, cfg);
    a.proj_conic = proj.conic.data();
    a.proj_color = proj.color.data();
    a.proj_radius = proj.radius.data();
    a.grad_mean2d = gi.mean2d.data();
    a.grad_conic = gi.conic.data();
    a.grad_depth = gi.depth.data();
    a.grad_opacity = gi.opacity.data();
    a.grad_color = gi.color.data();
    a.d_means = go.means.data();
    a.d_log_scales = go.log_scales.data();
    a.d_quats = go.quats.data();
    a.d_opacity_logits = go.opacity_logits.data();
    a.d_sh_dc = go.sh_dc.data();
    a.d_sh_rest = go.sh_rest.data();
    a.blocks = viewmat_blocks(g.n);
    std::vector<float> partial(size_t(16 * a.blocks));
    a.d_viewmat_blocks = partial.data();
    run_lanes(a, true);
    for (int64_t b = 0; b < a.blocks; ++b)
      for (int k = 0; k < 16; ++k) go.viewmat[k] += partial[size_t(16 * b + k)];
  }
}

#define TTGS_INSTANTIATE(T)                                                                                      \
  template struct ProjectedGrads<T>;                                                                             \
  template struct GaussianGrads<T>;                                                                              \
  template void project_forward<T>(const GaussianParams<T>&, const T*, const Intrinsics&, const RasterConfig&,  \
                                   Projected<T>&);                                                               \
  template void project_forward_scalar<T>(const GaussianParams<T>&, const T*, const Intrinsics&,                \
                                          const RasterConfig&, Projected<T>&);                                   \
  template void project_backward_scalar<T>(const GaussianParams<T>&, const T*, const Intrinsics&,               \
                                           const RasterConfig&, const Projected<T>&, const ProjectedGrads<T>&,  \
                                           GaussianGrads<T>&);                                                   \
  template void project_backward<T>(const GaussianParams<T>&, const T*, const Intrinsics&, const RasterConfig&, \
                                    const Projected<T>&, const ProjectedGrads<T>&, GaussianGrads<T>&);
TTGS_INSTANTIATE(float)
TTGS_INSTANTIATE(double)

}  // namespace ttgs::render
