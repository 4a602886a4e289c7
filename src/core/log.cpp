#include "core/log.hpp"

#include <atomic>
#include <cstdio>

namespace ttgs {
namespace {
std::atomic<bool> g_quiet{false};
}
void warn(const std::string& message) { std::fprintf(stderr, "ttgs: warning: %s\n", message.c_str()); }
void set_quiet(bool quiet) { g_quiet = quiet; }
bool is_quiet() { return g_quiet; }
void note(const std::string& message) {
  if (!g_quiet) std::fprintf(stderr, "ttgs: %s\n", message.c_str());
}
}  // namespace ttgs
