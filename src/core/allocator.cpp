#include "core/allocator.hpp"

#include <cstdlib>
#if defined(__GLIBC__)  // defined by the C library's headers above
#include <malloc.h>
#endif

namespace ttgs {

void keep_image_sized_blocks_in_heap() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

LargeBlocksFromTheSystem::LargeBlocksFromTheSystem() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
#endif
}

LargeBlocksFromTheSystem::~LargeBlocksFromTheSystem() { keep_image_sized_blocks_in_heap(); }

}  // namespace ttgs
