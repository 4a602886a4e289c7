#include "core/progress.hpp"

#include <unistd.h>

#include <cstdio>

#include "core/log.hpp"

namespace ttgs {

Progress::Progress(std::string label, int64_t total)
    : label_(std::move(label)),
      total_(total),
      tty_(isatty(fileno(stderr)) != 0),
      enabled_(!is_quiet()),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

// Unfinished progress (an exception unwinding) prints nothing more: the error line stays the only line.
Progress::~Progress() = default;

void Progress::advance(int64_t n) {
  done_ += n;
  if (!enabled_) return;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_print_).count();
  if ((tty_ && since > 0.1) || (!tty_ && since > 5.0)) {
    last_print_ = now;
    print(false);
  }
}

void Progress::finish() {
  if (finished_) return;
  finished_ = true;
  if (enabled_) print(true);
}

void Progress::print(bool final_line) {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = elapsed > 0 ? done_ / elapsed : 0.0;
  const double eta = rate > 0 && total_ > done_ ? (total_ - done_) / rate : 0.0;
  const double frac = total_ > 0 ? static_cast<double>(done_) / total_ : 1.0;
  if (tty_) {
    const int width = 30, filled = static_cast<int>(frac * width);
    std::string bar(filled, '#');
    bar.resize(width, '-');
    std::fprintf(stderr, "\r%s [%s] %lld/%lld %.1f/s ETA %.0fs   %s", label_.c_str(), bar.c_str(),
                 static_cast<long long>(done_), static_cast<long long>(total_), rate, eta, final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s: %lld/%lld (%.0f%%) %.1f/s elapsed %.1fs ETA %.0fs\n", label_.c_str(),
                 static_cast<long long>(done_), static_cast<long long>(total_), 100.0 * frac, rate, elapsed, eta);
  }
  std::fflush(stderr);
}

}  // namespace ttgs
