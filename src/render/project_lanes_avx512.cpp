// The float projection lanes compiled for avx512 (see project_lanes.hpp).
#define TTGS_ISA isa_avx512
#include "render/project_lanes.inc"
