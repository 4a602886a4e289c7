#include "core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <thread>
#include <vector>

namespace ttgs {
namespace {
std::atomic<int> g_threads{0};
ParallelBackend g_backend;
}

void set_parallel_backend(const ParallelBackend& backend) { g_backend = backend; }

void set_num_threads(int threads) { g_threads = std::max(0, threads); }

int num_threads() {
  if (g_backend.threads) return std::max(1, g_backend.threads());
  const int t = g_threads;
  if (t > 0) return t;
  return std::max(1u, std::thread::hardware_concurrency());
}

void parallel_for(int64_t begin, int64_t end, const std::function<void(int64_t, int64_t)>& body,
                  int64_t min_chunk) {
  const int64_t n = end - begin;
  if (n <= 0) return;
  if (g_backend.run) {
    g_backend.run(begin, end, std::max<int64_t>(1, min_chunk), body);
    return;
  }
  const int64_t workers = std::min<int64_t>(num_threads(), std::max<int64_t>(1, n / std::max<int64_t>(1, min_chunk)));
  if (workers <= 1) {
    body(begin, end);
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(workers);
  const int64_t chunk = (n + workers - 1) / workers;
  for (int64_t w = 0; w < workers; ++w) {
    const int64_t b = begin + w * chunk, e = std::min(end, b + chunk);
    if (b >= e) break;
    pool.emplace_back([&, w, b, e] {
      try {
        body(b, e);
      } catch (...) {
        errors[w] = std::current_exception();
      }
    });
  }
  for (auto& t : pool) t.join();
  for (auto& err : errors)
    if (err) std::rethrow_exception(err);
}
void parallel_for_raw(int64_t begin, int64_t end, int64_t min_chunk, void (*body)(void*, int64_t, int64_t),
                      void* context) {
  parallel_for(begin, end, [&](int64_t b, int64_t e) { body(context, b, e); }, min_chunk);
}

}  // namespace ttgs
