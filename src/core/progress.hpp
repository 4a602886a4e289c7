#pragma once
// Progress for long work: a bar with rate and ETA on a terminal, plain periodic lines otherwise,
// nothing when quiet (see log.hpp).
#include <chrono>
#include <cstdint>
#include <string>

namespace ttgs {

class Progress {
 public:
  Progress(std::string label, int64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;
  void advance(int64_t n = 1);
  void finish();

 private:
  void print(bool final_line);
  std::string label_;
  int64_t total_, done_ = 0;
  bool tty_, enabled_, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_print_;
};

}  // namespace ttgs
