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

constexpr double kC1 = 0.01 * 0.01, kC2 = 0.03 * 0.03;

// The kernels below are written once as always-inline templates and compiled for AVX-512, AVX2 and baseline x86-64;
// the loader picks the widest the CPU has (GCC function multi-versioning). Elsewhere, one plain version.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define TTGS_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define TTGS_SIMD_CLONES
#endif
#define TTGS_INLINE __attribute__((always_inline)) inline

// Horizontal pass of the separable blur (zero padding) over one row of `row` interleaved values, C per pixel: a
// value's 11 taps, C apart, are summed in a register; GCC unrolls the taps and vectorizes over the row. `line` is
// scratch of row + 2 kRadius C values whose padding is zero.
template <typename T>
TTGS_INLINE void blur_row_x_impl(const T* in, const T* times, T* line, T* out, int row, int C) {
  static const auto w = window<T>();
  T* centre = line + kRadius * C;
  if (times) {
#pragma omp simd
    for (int i = 0; i < row; ++i) centre[i] = in[i] * times[i];
  } else {
    std::copy(in, in + row, centre);
  }
#pragma omp simd
  for (int i = 0; i < row; ++i) {
    T acc = 0;
#pragma GCC unroll 11
    for (int k = 0; k < 2 * kRadius + 1; ++k) acc += w[size_t(k)] * line[i + k * C];
    out[i] = acc;
  }
}

// Vertical pass for one output row from the 11 rows around it (a zero row stands in outside the image).
template <typename T>
TTGS_INLINE void blur_row_y_impl(const T* const* rows, T* out, int row) {
  static const auto w = window<T>();
#pragma omp simd
  for (int i = 0; i < row; ++i) {
    T acc = 0;
#pragma GCC unroll 11
    for (int k = 0; k < 2 * kRadius + 1; ++k) acc += w[size_t(k)] * rows[k][i];
    out[i] = acc;
  }
}

// Turns E[x²], E[y²], E[xy] into (co)variances in place and returns the sum of the SSIM map.
template <typename T>
TTGS_INLINE T ssim_map_impl(const T* mux, const T* muy, T* sxx, T* syy, T* sxy, size_t n) {
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (size_t q = 0; q < n; ++q) {
    const T mx = mux[q], my = muy[q];
    sxx[q] -= mx * mx;
    syy[q] -= my * my;
    sxy[q] -= mx * my;
    const T num = (2 * mx * my + T(kC1)) * (2 * sxy[q] + T(kC2));
    const T den = (mx * mx + my * my + T(kC1)) * (sxx[q] + syy[q] + T(kC2));
    sum += num / den;
  }
  return sum;
}

// Per map pixel (times g): A = dS/dmu_x - 2 mu_x dS/ds_xx - mu_y dS/ds_xy, B = dS/ds_xx, D = dS/ds_xy.
template <typename T>
TTGS_INLINE void backward_maps_impl(const T* mux, const T* muy, const T* sxx, const T* syy, const T* sxy, T g, T* m0,
                                    T* m1, T* m2, size_t n) {
#pragma omp simd
  for (size_t q = 0; q < n; ++q) {
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
}

template <typename T>
TTGS_INLINE void combine_impl(const T* x, const T* y, const T* b0, const T* b1, const T* b2, T l1w, T* dx, size_t n) {
#pragma omp simd
  for (size_t q = 0; q < n; ++q) {
    const T sign = T(x[q] > y[q]) - T(x[q] < y[q]);
    dx[q] = b0[q] + 2 * x[q] * b1[q] + y[q] * b2[q] + l1w * sign;
  }
}

template <typename T>
TTGS_INLINE T abs_diff_sum_impl(const T* x, const T* y, size_t n) {
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (size_t q = 0; q < n; ++q) sum += std::abs(x[q] - y[q]);
  return sum;
}

#define TTGS_SSIM_KERNELS(T)                                                                                        \
  TTGS_SIMD_CLONES void blur_row_x(const T* in, const T* times, T* line, T* out, int row, int C) {                 \
    blur_row_x_impl(in, times, line, out, row, C);                                                                  \
  }                                                                                                                 \
  TTGS_SIMD_CLONES void blur_row_y(const T* const* rows, T* out, int row) { blur_row_y_impl(rows, out, row); }     \
  TTGS_SIMD_CLONES T ssim_map(const T* mux, const T* muy, T* sxx, T* syy, T* sxy, size_t n) {                      \
    return ssim_map_impl(mux, muy, sxx, syy, sxy, n);                                                               \
  }                                                                                                                 \
  TTGS_SIMD_CLONES void backward_maps(const T* mux, const T* muy, const T* sxx, const T* syy, const T* sxy, T g,   \
                                      T* m0, T* m1, T* m2, size_t n) {                                              \
    backward_maps_impl(mux, muy, sxx, syy, sxy, g, m0, m1, m2, n);                                                  \
  }                                                                                                                 \
  TTGS_SIMD_CLONES void combine(const T* x, const T* y, const T* b0, const T* b1, const T* b2, T l1w, T* dx,        \
                                size_t n) {                                                                         \
    combine_impl(x, y, b0, b1, b2, l1w, dx, n);                                                                     \
  }                                                                                                                 \
  TTGS_SIMD_CLONES T abs_diff_sum(const T* x, const T* y, size_t n) { return abs_diff_sum_impl(x, y, n); }
TTGS_SSIM_KERNELS(float)
TTGS_SSIM_KERNELS(double)
#undef TTGS_SSIM_KERNELS

// Runs body(begin, end) over the rows of an (H, W, C) image in parallel, in bands of whole rows; passes element
// offsets. Band sums are combined by the caller in row order, so results do not depend on the thread count.
template <typename F>
void for_row_bands(int H, size_t row, F&& body) {
  parallel_for(0, H, [&](int64_t y0, int64_t y1) { body(size_t(y0), size_t(y1), size_t(y0) * row, size_t(y1) * row); },
               8);
}

// One plane to blur: a, or the product a · b (formed row by row, never stored whole) when b is given.
template <typename T>
struct BlurInput {
  const T* a;
  const T* b = nullptr;
};

// Blurs the planes in[k] into out[k] (each H x W x C), in parallel over bands of rows (planes alone are too few to
// share between threads evenly). Within a band, each plane's horizontal rows go through a ring of 11 rows, which the
// vertical pass reads while they are still in cache; only the 10 rows around a band's edges are done twice.
template <typename T>
void blur_planes(const std::vector<BlurInput<T>>& in, const std::vector<T*>& out, int H, int W, int C) {
  constexpr int kTaps = 2 * kRadius + 1;
  const size_t row = size_t(W) * C;
  thread_local std::vector<T> zeros;  // the calling thread's
  zeros.assign(row, T(0));
  const T* const zero_row = zeros.data();  // thread_locals are named through pointers inside the parallel body
  parallel_for(0, H, [&](int64_t y0, int64_t y1) {
    thread_local std::vector<T> ring, line;
    ring.resize(kTaps * row);
    line.assign(row + 2 * kRadius * size_t(C), T(0));
    const T* rows[kTaps];
    const T* slot[kTaps];  // horizontal row r lives in slot[r mod 11]
    for (size_t k = 0; k < in.size(); ++k)
      for (int64_t r = y0 - kRadius; r < y1 + kRadius; ++r) {
        const size_t at = size_t((r % kTaps + kTaps) % kTaps);
        if (r >= 0 && r < H) {
          const size_t offset = size_t(r) * row;
          blur_row_x(in[k].a + offset, in[k].b ? in[k].b + offset : nullptr, line.data(), ring.data() + at * row,
                     int(row), C);
          slot[at] = ring.data() + at * row;
        } else {
          slot[at] = zero_row;
        }
        const int64_t y = r - kRadius;  // the output row whose window this row completes
        if (y < y0) continue;
        for (int t = 0; t < kTaps; ++t) rows[t] = slot[size_t(((y - kRadius + t) % kTaps + kTaps) % kTaps)];
        blur_row_y(rows, out[k] + size_t(y) * row, int(row));
      }
  }, 16);
}

}  // namespace

template <typename T>
T ssim_forward(const T* x, const T* y, int H, int W, int C, SsimState<T>& s) {
  const size_t row = size_t(W) * C, total = size_t(H) * row;
  s.height = H;
  s.width = W;
  s.channels = C;
  // Five blurs straight into the state: mu_x, mu_y, E[x²], E[y²], E[xy] (products formed row by row).
  s.planes.resize(5 * total);
  T* mux = s.planes.data();
  T* muy = mux + total;
  T* sxx = muy + total;
  T* syy = sxx + total;
  T* sxy = syy + total;
  blur_planes<T>({{x}, {y}, {x, x}, {y, y}, {x, y}}, {mux, muy, sxx, syy, sxy}, H, W, C);
  std::vector<T> row_sums(size_t(H), T(0));
  for_row_bands(H, row, [&](size_t y0, size_t y1, size_t, size_t) {
    for (size_t r = y0; r < y1; ++r) {
      const size_t b = r * row;
      row_sums[r] = ssim_map(mux + b, muy + b, sxx + b, syy + b, sxy + b, row);
    }
  });
  T sum = 0;
  for (const T v : row_sums) sum += v;
  return sum / T(total);
}

template <typename T>
T l1_mean(const T* x, const T* y, int H, int W, int C) {
  const size_t row = size_t(W) * C;
  std::vector<T> row_sums(size_t(H), T(0));
  for_row_bands(H, row, [&](size_t y0, size_t y1, size_t, size_t) {
    for (size_t r = y0; r < y1; ++r) row_sums[r] = abs_diff_sum(x + r * row, y + r * row, row);
  });
  T sum = 0;
  for (const T v : row_sums) sum += v;
  return sum / T(size_t(H) * row);
}

template <typename T>
void ssim_backward(const T* x, const T* y, const SsimState<T>& s, T upstream, T* dx, T l1_weight) {
  const size_t row = size_t(s.width) * s.channels, total = size_t(s.height) * row;
  const T g = upstream / T(total);
  thread_local std::vector<T> maps, blurred;
  maps.resize(3 * total);
  blurred.resize(3 * total);
  const T *mux = s.plane(0), *muy = s.plane(1), *sxx = s.plane(2), *syy = s.plane(3), *sxy = s.plane(4);
  T *m0 = maps.data(), *m1 = m0 + total, *m2 = m1 + total;
  for_row_bands(s.height, row, [&](size_t, size_t, size_t b, size_t e) {
    backward_maps(mux + b, muy + b, sxx + b, syy + b, sxy + b, g, m0 + b, m1 + b, m2 + b, e - b);
  });
  // The window is symmetric: the adjoint of the blur is the blur.
  T *b0 = blurred.data(), *b1 = b0 + total, *b2 = b1 + total;
  blur_planes<T>({{m0}, {m1}, {m2}}, {b0, b1, b2}, s.height, s.width, s.channels);
  for_row_bands(s.height, row, [&](size_t, size_t, size_t b, size_t e) {
    combine(x + b, y + b, b0 + b, b1 + b, b2 + b, l1_weight, dx + b, e - b);
  });
}

template struct SsimState<float>;
template struct SsimState<double>;
template float ssim_forward<float>(const float*, const float*, int, int, int, SsimState<float>&);
template double ssim_forward<double>(const double*, const double*, int, int, int, SsimState<double>&);
template void ssim_backward<float>(const float*, const float*, const SsimState<float>&, float, float*, float);
template void ssim_backward<double>(const double*, const double*, const SsimState<double>&, double, double*, double);
template float l1_mean<float>(const float*, const float*, int, int, int);
template double l1_mean<double>(const double*, const double*, int, int, int);

}  // namespace ttgs::loss
