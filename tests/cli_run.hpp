#pragma once
// Runs the real ttgs binary (TTGS_BINARY) with a command line, capturing its exit status, stdout and stderr.
#include <sys/wait.h>

#include <cstdlib>
#include <string>

#include "test_util.hpp"

namespace ttgs::test {

struct RunResult {
  int code = -1;
  std::string out, err;
};

inline std::string quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

inline RunResult run_ttgs(const std::string& args, const TempDir& scratch) {
  const std::string cmd = std::string(TTGS_BINARY) + " " + args + " >" + quote(scratch / "stdout") + " 2>" +
                          quote(scratch / "stderr") + " </dev/null";
  const int status = std::system(cmd.c_str());
  RunResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(scratch / "stdout");
  r.err = read_text(scratch / "stderr");
  return r;
}

}  // namespace ttgs::test
