#pragma once
// A std::vector whose resize leaves new elements uninitialized: for large outputs that a kernel writes in full
// (zero-filling them first, on one thread, cost as much as a tenth of a render). LibTorch-free.
#include <memory>
#include <utility>
#include <vector>

namespace ttgs {

template <typename T>
struct UninitializedAllocator : std::allocator<T> {
  template <typename U>
  struct rebind {
    using other = UninitializedAllocator<U>;
  };
  UninitializedAllocator() = default;
  template <typename U>
  UninitializedAllocator(const UninitializedAllocator<U>&) noexcept {}
  template <typename U>
  void construct(U* p) noexcept {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }
};

template <typename T>
using OutputBuffer = std::vector<T, UninitializedAllocator<T>>;

}  // namespace ttgs
