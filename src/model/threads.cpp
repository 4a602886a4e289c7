#include "model/threads.hpp"

#include <ATen/Parallel.h>

#include <thread>

#include "core/parallel.hpp"

namespace ttgs::model {
namespace {
void run_on_torch(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
  // Chunks of at least `grain`; with workers == chunks the split depends only on the thread count.
  const int64_t n = end - begin, threads = at::get_num_threads();
  const int64_t chunk = std::max<int64_t>(grain, (n + threads - 1) / threads);
  at::parallel_for(begin, end, chunk, [&](int64_t b, int64_t e) { body(b, e); });
}
int torch_threads() { return at::get_num_threads(); }
}  // namespace

void configure_threads(int threads) {
  const int t = threads > 0 ? threads : int(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(t);
  set_num_threads(t);
  use_torch_thread_pool();
}

void use_torch_thread_pool() { set_parallel_backend({&run_on_torch, &torch_threads}); }

}  // namespace ttgs::model
