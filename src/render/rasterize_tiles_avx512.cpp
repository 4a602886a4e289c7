// The tile loops compiled for avx512 (see rasterize_tiles.hpp).
#define TTGS_ISA isa_avx512
#include "render/rasterize_tiles.inc"
