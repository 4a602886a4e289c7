#include "loss/ssim_kernel.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

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

// Separable Gaussian blur with zero padding of one (H, W, C) interleaved plane; tmp is scratch of the same size.
// Pixel-outer, tap-inner: a value's 11 taps (C apart along a row, one row apart down a column) are summed in a
// register; GCC unrolls the taps and vectorizes over the row. Each row is first copied into a zero-padded line, and
// the vertical pass reads rows outside the image from a zero row, so no tap branches.
template <typename T>
__attribute__((always_inline)) inline void blur_plane_impl(const T* in, T* out, T* tmp, int H, int W, int C) {
  static const auto w = window<T>();
  constexpr int kTaps = 2 * kRadius + 1;
  const int row = W * C;
  thread_local std::vector<T> line, zeros;
  line.assign(size_t(row) + 2 * kRadius * C, T(0));
  zeros.assign(size_t(row), T(0));
  for (int y = 0; y < H; ++y) {
    std::copy(in + size_t(y) * row, in + size_t(y + 1) * row, line.begin() + kRadius * C);
    const T* l = line.data();
    T* t = tmp + size_t(y) * row;
#pragma omp simd
    for (int i = 0; i < row; ++i) {
      T acc = 0;
#pragma GCC unroll 11
      for (int k = 0; k < kTaps; ++k) acc += w[size_t(k)] * l[i + k * C];
      t[i] = acc;
    }
  }
  for (int y = 0; y < H; ++y) {
    const T* rows[kTaps];
    for (int k = 0; k < kTaps; ++k) {
      const int r = y + k - kRadius;
      rows[k] = r >= 0 && r < H ? tmp + size_t(r) * row : zeros.data();
    }
    T* o = out + size_t(y) * row;
#pragma omp simd
    for (int i = 0; i < row; ++i) {
      T acc = 0;
#pragma GCC unroll 11
      for (int k = 0; k < kTaps; ++k) acc += w[size_t(k)] * rows[k][i];
      o[i] = acc;
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
TTGS_SIMD_CLONES void blur_plane(const float* in, float* out, float* tmp, int H, int W, int C) {
  blur_plane_impl(in, out, tmp, H, W, C);
}
TTGS_SIMD_CLONES void blur_plane(const double* in, double* out, double* tmp, int H, int W, int C) {
  blur_plane_impl(in, out, tmp, H, W, C);
}

// Blurs the planes in[k] into out[k] (each H x W x C), in parallel (one plane per task).
template <typename T>
void blur_planes(const std::vector<const T*>& in, const std::vector<T*>& out, int H, int W, int C) {
  const size_t n = size_t(H) * W * C;
  parallel_for(0, int64_t(in.size()), [&](int64_t b, int64_t e) {
    thread_local std::vector<T> tmp;
    tmp.resize(n);
    for (int64_t k = b; k < e; ++k) blur_plane(in[size_t(k)], out[size_t(k)], tmp.data(), H, W, C);
  }, 1);
}

constexpr double kC1 = 0.01 * 0.01, kC2 = 0.03 * 0.03;

}  // namespace

template <typename T>
T ssim_forward(const T* x, const T* y, int H, int W, int C, SsimState<T>& s) {
  const size_t total = size_t(H) * W * C;
  s.height = H;
  s.width = W;
  s.channels = C;
  // Products of the images, then five blurs straight into the state: mu_x, mu_y, E[x²], E[y²], E[xy].
  thread_local std::vector<T> products;  // reused across calls: no page faults on every iteration
  products.resize(3 * total);
  T* xx = products.data();
  T* yy = xx + total;
  T* xy = yy + total;
#pragma omp simd
  for (size_t q = 0; q < total; ++q) {
    xx[q] = x[q] * x[q];
    yy[q] = y[q] * y[q];
    xy[q] = x[q] * y[q];
  }
  s.planes.resize(5 * total);
  T* mux = s.planes.data();
  T* muy = mux + total;
  T* sxx = muy + total;
  T* syy = sxx + total;
  T* sxy = syy + total;
  blur_planes<T>({x, y, xx, yy, xy}, {mux, muy, sxx, syy, sxy}, H, W, C);
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (size_t q = 0; q < total; ++q) {
    const T mx = mux[q], my = muy[q];
    sxx[q] -= mx * mx;  // E[x²] -> variance, in place
    syy[q] -= my * my;
    sxy[q] -= mx * my;
    const T num = (2 * mx * my + T(kC1)) * (2 * sxy[q] + T(kC2));
    const T den = (mx * mx + my * my + T(kC1)) * (sxx[q] + syy[q] + T(kC2));
    sum += num / den;
  }
  return sum / T(total);
}

template <typename T>
void ssim_backward(const T* x, const T* y, const SsimState<T>& s, T upstream, T* dx) {
  const size_t total = size_t(s.height) * s.width * s.channels;
  const T g = upstream / T(total);
  // Per pixel of the map: A = dS/dmu_x - 2 mu_x dS/ds_xx - mu_y dS/ds_xy, B = dS/ds_xx, D = dS/ds_xy (times g).
  thread_local std::vector<T> maps, blurred;
  maps.resize(3 * total);
  blurred.resize(3 * total);
  const T *mux = s.plane(0), *muy = s.plane(1), *sxx = s.plane(2), *syy = s.plane(3), *sxy = s.plane(4);
  T *m0 = maps.data(), *m1 = m0 + total, *m2 = m1 + total;
#pragma omp simd
  for (size_t q = 0; q < total; ++q) {
    const T mx = mux[q], my = muy[q];
    const T n1 = 2 * mx * my + T(kC1), n2 = 2 * sxy[q] + T(kC2);
    const T d1 = mx * mx + my * my + T(kC1), d2 = sxx[q] + syy[q] + T(kC2);
    const T inv = 1 / (d1 * d2);
    const T S = n1 * n2 * inv;
    const T dmx = 2 * my * n2 * inv - S * 2 * mx / d1;
    const T dsxx = -S / d2;
    const T dsxy = 2 * n1 * inv;
    m0[q] = g * (dmx - 2 * mx * dsxx - my * dsxy);
    m1[q] = g * dsxx;
    m2[q] = g * dsxy;
  }
  // The window is symmetric: the adjoint of the blur is the blur.
  T *b0 = blurred.data(), *b1 = b0 + total, *b2 = b1 + total;
  blur_planes<T>({m0, m1, m2}, {b0, b1, b2}, s.height, s.width, s.channels);
#pragma omp simd
  for (size_t q = 0; q < total; ++q) dx[q] = b0[q] + 2 * x[q] * b1[q] + y[q] * b2[q];
}

template struct SsimState<float>;
template struct SsimState<double>;
template float ssim_forward<float>(const float*, const float*, int, int, int, SsimState<float>&);
template double ssim_forward<double>(const double*, const double*, int, int, int, SsimState<double>&);
template void ssim_backward<float>(const float*, const float*, const SsimState<float>&, float, float*);
template void ssim_backward<double>(const double*, const double*, const SsimState<double>&, double, double*);

}  // namespace ttgs::loss
