#pragma once
// Image-sized tensors (MBs) are allocated and freed on every training step. glibc serves those from fresh mmap'd
// pages each time, and the page faults cost more than some of the kernels using them (from Python: 1.2-1.3x slower
// forward + backward at 512x384). Keeping blocks up to 32 MB in the heap, and freed memory there, avoids that. Call
// once at start-up (the program's main, the Python module's import); a no-op outside glibc.
namespace ttgs {
void keep_image_sized_blocks_in_heap();

// While one exists, blocks of 1 MB or more come straight from the operating system and go back to it when freed
// (loading a dataset: a frame's float temporaries would otherwise leave holes in the heap that the long-lived 8-bit
// photos partly fill, growing the heap by a temporary's size every few frames). Its end restores the heap policy
// above. Not nested, not concurrent with another.
class LargeBlocksFromTheSystem {
 public:
  LargeBlocksFromTheSystem();
  ~LargeBlocksFromTheSystem();
  LargeBlocksFromTheSystem(const LargeBlocksFromTheSystem&) = delete;
  LargeBlocksFromTheSystem& operator=(const LargeBlocksFromTheSystem&) = delete;
};
}
