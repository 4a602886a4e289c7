#pragma once
// A minimal deterministic parallel-for over [begin, end) in contiguous chunks, for the LibTorch-free modules.
// Each index is processed exactly once; the split depends only on the range and the thread count.
#include <cstdint>
#include <functional>

namespace ttgs {
void set_num_threads(int threads);  // 0 = hardware concurrency
int num_threads();
void parallel_for(int64_t begin, int64_t end, const std::function<void(int64_t, int64_t)>& body,
                  int64_t min_chunk = 1);
// The same through a plain function pointer: for code compiled with other instruction-set flags (AVX2, AVX-512),
// which must not instantiate shared templates such as std::function.
void parallel_for_raw(int64_t begin, int64_t end, int64_t min_chunk, void (*body)(void* context, int64_t, int64_t),
                      void* context);
}  // namespace ttgs
