// The tile loops compiled for avx2 (see rasterize_tiles.hpp).
#define TTGS_ISA isa_avx2
#include "render/rasterize_tiles.inc"
