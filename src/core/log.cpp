#include "core/log.hpp"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <set>

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
void note_once(const std::string& message) {
  static std::mutex mutex;
  static std::set<std::string> said;
  {
    const std::lock_guard<std::mutex> lock(mutex);
    if (!said.insert(message).second) return;
  }
  note(message);
}
}  // namespace ttgs
