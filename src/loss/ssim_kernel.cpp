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

// One row of the SSIM map from the window statistics (mu_x, mu_y, E[x²], E[y²], E[xy]): returns the row's sum, and
// writes the map's derivatives that the backward pass blurs: A = dS/dmu_x - 2 mu_x dS/ds_xx - mu_y dS/ds_xy,
// B = dS/ds_xx, D = dS/ds_xy (the upstream gradient, a scalar, is applied in the backward pass).
template <typename T>
TTGS_INLINE T ssim_row_impl(const T* mux, const T* muy, const T* exx, const T* eyy, const T* exy, T* m0, T* m1, T* m2,
                            size_t n) {
  T sum = 0;
#pragma omp simd reduction(+ : sum)
  for (size_t q = 0; q < n; ++q) {
    const T mx = mux[q], my = muy[q];
    const T sxx = exx[q] - mx * mx, syy = eyy[q] - my * my, sxy = exy[q] - mx * my;
    const T n1 = 2 * mx * my + T(kC1), n2 = 2 * sxy + T(kC2);
    const T d1 = mx * mx + my * my + T(kC1), d2 = sxx + syy + T(kC2);
    const T inv = 1 / (d1 * d2);
    const T S = n1 * n2 * inv;
    const T dmx = 2 * my * n2 * inv - S * 2 * mx / d1;
    const T dsxx = -S / d2;
    const T dsxy = 2 * n1 * inv;
    m0[q] = dmx - 2 * mx * dsxx - my * dsxy;
    m1[q] = dsxx;
    m2[q] = dsxy;
    sum += S;
  }
  return sum;
}

// dx = g · (blurred A + 2 x · blurred B + y · blurred D) + l1w · sign(x - y).
template <typename T>
TTGS_INLINE void combine_impl(const T* x, const T* y, const T* b0, const T* b1, const T* b2, T g, T l1w, T* dx,
                              size_t n) {
#pragma omp simd
  for (size_t q = 0; q < n; ++q) {
    const T sign = T(x[q] > y[q]) - T(x[q] < y[q]);
    dx[q] = g * (b0[q] + 2 * x[q] * b1[q] + y[q] * b2[q]) + l1w * sign;
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
  TTGS_SIMD_CLONES T ssim_row(const T* mux, const T* muy, const T* exx, const T* eyy, const T* exy, T* m0, T* m1,  \
                              T* m2, size_t n) {                                                                    \
    return ssim_row_impl(mux, muy, exx, eyy, exy, m0, m1, m2, n);                                                   \
  }                                                                                                                 \
  TTGS_SIMD_CLONES void combine(const T* x, const T* y, const T* b0, const T* b1, const T* b2, T g, T l1w, T* dx,   \
                                size_t n) {                                                                         \
    combine_impl(x, y, b0, b1, b2, g, l1w, dx, n);                                                                  \
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

// Blurs the planes in[k] (each H x W x C) and hands on_row(y, rows) each output row y, rows[k] being plane k's
// blurred row, in parallel over bands of rows. Within a band, each plane's horizontally blurred rows go through a
// ring of 11 rows, which the vertical pass reads while they are still in cache; only the 10 rows around a band's
// edges are done twice. No blurred plane is ever stored whole: the callers reduce each row as it comes.
template <typename T, typename OnRow>
void blur_rows(const std::vector<BlurInput<T>>& in, int H, int W, int C, OnRow&& on_row) {
  constexpr int kTaps = 2 * kRadius + 1;
  const size_t row = size_t(W) * C, planes = in.size();
  thread_local std::vector<T> zeros;  // the calling thread's
  zeros.assign(row, T(0));
  const T* const zero_row = zeros.data();  // thread_locals are named through pointers inside the parallel body
  parallel_for(0, H, [&](int64_t y0, int64_t y1) {
    thread_local std::vector<T> ring, line, out;
    ring.resize(planes * kTaps * row);
    out.resize(planes * row);
    line.assign(row + 2 * kRadius * size_t(C), T(0));
    std::vector<const T*> slot(planes * kTaps);  // plane k's horizontal row r lives in slot[k * 11 + r mod 11]
    std::vector<const T*> blurred(planes);
    const T* rows[kTaps];
    for (int64_t r = y0 - kRadius; r < y1 + kRadius; ++r) {
      const size_t at = size_t((r % kTaps + kTaps) % kTaps);
      for (size_t k = 0; k < planes; ++k) {
        T* dst = ring.data() + (k * kTaps + at) * row;
        if (r >= 0 && r < H) {
          const size_t offset = size_t(r) * row;
          blur_row_x(in[k].a + offset, in[k].b ? in[k].b + offset : nullptr, line.data(), dst, int(row), C);
          slot[k * kTaps + at] = dst;
        } else {
          slot[k * kTaps + at] = zero_row;
        }
      }
      const int64_t y = r - kRadius;  // the output row whose window this row completes
      if (y < y0) continue;
      for (size_t k = 0; k < planes; ++k) {
        for (int t = 0; t < kTaps; ++t) rows[t] = slot[k * kTaps + size_t(((y - kRadius + t) % kTaps + kTaps) % kTaps)];
        blur_row_y(rows, out.data() + k * row, int(row));
        blurred[k] = out.data() + k * row;
      }
      on_row(y, blurred.data());
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
  s.planes.resize(3 * total);
  T* m0 = s.planes.data();
  T* m1 = m0 + total;
  T* m2 = m1 + total;
  // Five blurs (mu_x, mu_y, E[x²], E[y²], E[xy]; products formed row by row), reduced row by row to the map's sum and
  // its three derivative planes.
  std::vector<T> row_sums(size_t(H), T(0));
  blur_rows<T>({{x}, {y}, {x, x}, {y, y}, {x, y}}, H, W, C, [&](int64_t r, const T* const* b) {
    const size_t o = size_t(r) * row;
    row_sums[size_t(r)] = ssim_row(b[0], b[1], b[2], b[3], b[4], m0 + o, m1 + o, m2 + o, row);
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
  // The window is symmetric: the adjoint of the blur is the blur.
  blur_rows<T>({{s.plane(0)}, {s.plane(1)}, {s.plane(2)}}, s.height, s.width, s.channels,
               [&](int64_t r, const T* const* b) {
                 const size_t o = size_t(r) * row;
                 combine(x + o, y + o, b[0], b[1], b[2], g, l1_weight, dx + o, row);
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
