#include "core/memory.hpp"

#include <cmath>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/resource.h>
#endif

namespace ttgs {

int64_t peak_resident_bytes() {
#if defined(__unix__) || defined(__APPLE__)
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return -1;
#if defined(__APPLE__)
  return int64_t(usage.ru_maxrss);  // bytes on macOS
#else
  return int64_t(usage.ru_maxrss) * 1024;  // kilobytes on Linux
#endif
#else
  return -1;
#endif
}

double peak_resident_mib() {
  const int64_t b = peak_resident_bytes();
  return b < 0 ? -1.0 : std::round(double(b) / (1024.0 * 1024.0) * 10.0) / 10.0;
}

}  // namespace ttgs
