#pragma once
// The process's memory as the operating system counts it.
#include <cstdint>

namespace ttgs {

// Peak resident set size of this process so far, in bytes (getrusage's ru_maxrss); -1 where unknown.
int64_t peak_resident_bytes();

// The same in MiB, rounded to one decimal (as reports print it); -1 where unknown.
double peak_resident_mib();

}  // namespace ttgs
