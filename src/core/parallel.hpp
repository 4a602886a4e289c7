#pragma once
// A minimal deterministic parallel-for over [begin, end) in contiguous chunks, for the LibTorch-free modules.
// Each index is processed exactly once; the split depends only on the range and the thread count.
#include <cstdint>
#include <functional>

namespace ttgs {
void set_num_threads(int threads);  // 0 = hardware concurrency
int num_threads();

// Where parallel_for runs. By default on std::threads started per call; a program that also uses LibTorch installs
// LibTorch's pool (model/threads.hpp) so that the two never compete for the cores.
struct ParallelBackend {
  void (*run)(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& body) = nullptr;
  int (*threads)() = nullptr;
};
void set_parallel_backend(const ParallelBackend& backend);
void parallel_for(int64_t begin, int64_t end, const std::function<void(int64_t, int64_t)>& body,
                  int64_t min_chunk = 1);
// The same through a plain function pointer: for code compiled with other instruction-set flags (AVX2, AVX-512),
// which must not instantiate shared templates such as std::function.
void parallel_for_raw(int64_t begin, int64_t end, int64_t min_chunk, void (*body)(void* context, int64_t, int64_t),
                      void* context);
}  // namespace ttgs
