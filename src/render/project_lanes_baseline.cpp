// The float projection lanes compiled for baseline (see project_lanes.hpp).
#define TTGS_ISA isa_baseline
#include "render/project_lanes.inc"
