// The float projection lanes compiled for avx2 (see project_lanes.hpp).
#define TTGS_ISA isa_avx2
#include "render/project_lanes.inc"
