// ttgs: test-time Gaussian splatting. Exit codes: 0 success, 2 bad input or usage, 1 internal error.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "app/cli.hpp"
#include "core/allocator.hpp"

int main(int argc, char** argv) {
  // OpenMP (LibTorch's thread pool) reads its wait policy once, when it loads, and by default its idle workers spin.
  // On a busy machine a spinning worker burns the core a descheduled sibling needs (2-core machine, two busy
  // programs: 13x slower iterations). Waiting passively costs little when the machine is quiet, so the program
  // restarts itself once with OMP_WAIT_POLICY=passive unless the user chose a policy.
  if (std::getenv("OMP_WAIT_POLICY") == nullptr && ::setenv("OMP_WAIT_POLICY", "passive", 1) == 0)
    ::execv("/proc/self/exe", argv);  // returns only on failure: then run with the default policy
  ttgs::keep_image_sized_blocks_in_heap();
  const ttgs::app::CliOutcome outcome = ttgs::app::run_cli(std::vector<std::string>(argv, argv + argc));
  if (outcome.exit_code != 0) std::fprintf(stderr, "ttgs: error: %s\n", outcome.error.c_str());
  return outcome.exit_code;
}
