#pragma once
// One pool for everything: sets LibTorch's thread count and routes ttgs::parallel_for (used by the LibTorch-free
// kernels) through at::parallel_for, so our kernels and LibTorch's ops share the same workers instead of fighting.
namespace ttgs::model {
void configure_threads(int threads);  // 0 = all cores
// Only the routing, LibTorch's thread count left as it is (the Python module: torch.set_num_threads decides).
void use_torch_thread_pool();
}
