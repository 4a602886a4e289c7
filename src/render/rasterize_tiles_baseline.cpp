// The tile loops compiled for baseline (see rasterize_tiles.hpp).
#define TTGS_ISA isa_baseline
#include "render/rasterize_tiles.inc"
