#include "loss/ssim_kernel.hpp"

#include <array>
#include <cmath>

#include "core/parallel.hpp"

namespace ttgs::loss {
namespace {

constexpr int kRadius = 5;  // 11 taps

template <typename T>
std::array<T, 2 * kRadius + 1> window() {
  std::array<double, 2 * kRadius + 1> w{};
  double sum = 0;
  for (int i = -kRadius; i <= kRadius; ++i) sum += w[size_t(i + kRadius)] = std::exp(-(i * i) / (2 * 1.5 * 1.5));
  std::array<T, 2 * kRadius + 1> out{};
  for (size_t i = 0; i < w.size(); ++i) out[i] = T(w[i] / sum);
  return out;
}

// Separable Gaussian blur with zero padding, one (H, W) plane; tmp is H x W scratch.
template <typename T>
__attribute__((always_inline)) inline void blur_plane_impl(const T* in, T* out, T* tmp, int H, int W) {
  static const auto w = window<T>();
  // Loops ordered tap-outer, pixel-inner so the inner loops vectorize.
  for (int y = 0; y < H; ++y) {
    const T* row = in + size_t(y) * W;
    T* t = tmp + size_t(y) * W;
    for (int x = 0; x < W; ++x) t[x] = 0;
    for (int k = -kRadius; k <= kRadius; ++k) {
      const T wk = w[size_t(k + kRadius)];
      const int x0 = std::max(0, -k), x1 = std::min(W, W - k);
      for (int x = x0; x < x1; ++x) t[x] += wk * row[x + k];
    }
  }
  for (int y = 0; y < H; ++y) {
    T* o = out + size_t(y) * W;
    for (int x = 0; x < W; ++x) o[x] = 0;
    const int k0 = std::max(-kRadius, -y), k1 = std::min(kRadius, H - 1 - y);
    for (int k = k0; k <= k1; ++k) {
      const T wk = w[size_t(k + kRadius)];
      const T* t = tmp + size_t(y + k) * W;
      for (int x = 0; x < W; ++x) o[x] += wk * t[x];
    }
  }
}

// Compiled for AVX-512, AVX2 and baseline x86-64; the loader picks the widest the CPU has (GCC function
// multi-versioning, by CPU feature). Elsewhere, one plain version.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TTGS_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TTGS_SIMD_CLONES
#endif
TTGS_SIMD_CLONES void blur_plane(const float* in, float* out, float* tmp, int H, int W) {
  blur_plane_impl(in, out, tmp, H, W);
}
TTGS_SIMD_CLONES void blur_plane(const double* in, double* out, double* tmp, int H, int W) {
  blur_plane_impl(in, out, tmp, H, W);
}

// Blurs `planes` consecutive H x W planes of `in` into `out`, in parallel (one plane per task).
template <typename T>
void blur_planes(const T* in, T* out, size_t planes, int H, int W) {
  const size_t n = size_t(H) * W;
  parallel_for(0, int64_t(planes), [&](int64_t b, int64_t e) {
    thread_local std::vector<T> tmp;
    tmp.resize(n);
    for (int64_t i = b; i < e; ++i) blur_plane(in + size_t(i) * n, out + size_t(i) * n, tmp.data(), H, W);
  }, 1);
}

constexpr double kC1 = 0.01 * 0.01, kC2 = 0.03 * 0.03;

}  // namespace

template <typename T>
T ssim_forward(const T* x, const T* y, int H, int W, int C, SsimState<T>& s) {
  const size_t n = size_t(H) * W, total = n * C;
  s.height = H;
  s.width = W;
  s.channels = C;
  // Planar copies of x, y and their products, blurred in one batch of 5 C planes.
  thread_local std::vector<T> src, blurred;  // reused across calls: no page faults on every iteration
  src.resize(5 * total);
  blurred.resize(5 * total);
  for (int c = 0; c < C; ++c) {  // plane by plane: sequential writes
    T* px = src.data() + size_t(c) * n;
    T* py = px + total;
    T* pxx = py + total;
    T* pyy = pxx + total;
    T* pxy = pyy + total;
    for (size_t p = 0; p < n; ++p) {
      const T a = x[p * C + c], b = y[p * C + c];
      px[p] = a;
      py[p] = b;
      pxx[p] = a * a;
      pyy[p] = b * b;
      pxy[p] = a * b;
    }
  }
  blur_planes(src.data(), blurred.data(), 5 * size_t(C), H, W);
  s.mu_x.assign(blurred.begin(), blurred.begin() + total);
  s.mu_y.assign(blurred.begin() + total, blurred.begin() + 2 * total);
  s.s_xx.resize(total);
  s.s_yy.resize(total);
  s.s_xy.resize(total);
  const T* bxx = blurred.data() + 2 * total;
  const T* byy = bxx + total;
  const T* bxy = byy + total;
  T* sxx = s.s_xx.data();
  T* syy = s.s_yy.data();
  T* sxy = s.s_xy.data();
  const T* mux = s.mu_x.data();
  const T* muy = s.mu_y.data();
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (size_t q = 0; q < total; ++q) {
    const T mx = mux[q], my = muy[q];
    sxx[q] = bxx[q] - mx * mx;
    syy[q] = byy[q] - my * my;
    sxy[q] = bxy[q] - mx * my;
    const T num = (2 * mx * my + T(kC1)) * (2 * sxy[q] + T(kC2));
    const T den = (mx * mx + my * my + T(kC1)) * (sxx[q] + syy[q] + T(kC2));
    sum += num / den;
  }
  return sum / T(total);
}

template <typename T>
void ssim_backward(const T* x, const T* y, const SsimState<T>& s, T upstream, T* dx) {
  const int H = s.height, W = s.width, C = s.channels;
  const size_t n = size_t(H) * W, total = n * C;
  const T g = upstream / T(total);
  // Per pixel of the map: A = dS/dmu_x - 2 mu_x dS/ds_xx - mu_y dS/ds_xy, B = dS/ds_xx, D = dS/ds_xy (times g).
  thread_local std::vector<T> maps, blurred;
  maps.resize(3 * total);
  blurred.resize(3 * total);
  const T *mux = s.mu_x.data(), *muy = s.mu_y.data(), *sxx = s.s_xx.data(), *syy = s.s_yy.data(), *sxy = s.s_xy.data();
  T *m0 = maps.data(), *m1 = m0 + total, *m2 = m1 + total;
#pragma omp simd
  for (size_t q = 0; q < total; ++q) {
    const T mx = mux[q], my = muy[q];
    const T n1 = 2 * mx * my + T(kC1), n2 = 2 * sxy[q] + T(kC2);
    const T d1 = mx * mx + my * my + T(kC1), d2 = sxx[q] + syy[q] + T(kC2);
    const T S = n1 * n2 / (d1 * d2);
    const T dmx = 2 * my * n2 / (d1 * d2) - S * 2 * mx / d1;
    const T dsxx = -S / d2;
    const T dsxy = 2 * n1 / (d1 * d2);
    m0[q] = g * (dmx - 2 * mx * dsxx - my * dsxy);
    m1[q] = g * dsxx;
    m2[q] = g * dsxy;
  }
  // The window is symmetric: the adjoint of the blur is the blur.
  blur_planes(maps.data(), blurred.data(), 3 * size_t(C), H, W);
  for (int c = 0; c < C; ++c) {
    const T* b0 = blurred.data() + size_t(c) * n;
    const T* b1 = b0 + total;
    const T* b2 = b1 + total;
    for (size_t p = 0; p < n; ++p) dx[p * C + c] = b0[p] + 2 * x[p * C + c] * b1[p] + y[p * C + c] * b2[p];
  }
}

template struct SsimState<float>;
template struct SsimState<double>;
template float ssim_forward<float>(const float*, const float*, int, int, int, SsimState<float>&);
template double ssim_forward<double>(const double*, const double*, int, int, int, SsimState<double>&);
template void ssim_backward<float>(const float*, const float*, const SsimState<float>&, float, float*);
template void ssim_backward<double>(const double*, const double*, const SsimState<double>&, double, double*);

}  // namespace ttgs::loss
