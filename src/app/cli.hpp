#pragma once
// The whole command line as a library call: the program's main() and the Python module (`ttgs.fit(...)`) both run
// commands through here, so they parse, validate and report the same way.
#include <optional>
#include <string>
#include <vector>

namespace ttgs::app {

struct CliOutcome {
  int exit_code = 0;   // 0 success, 2 bad input or usage, 1 internal error
  std::string error;   // the one-line message (without the "ttgs: error: " prefix) when exit_code != 0
};

// Runs one command line; args[0] is the program name. Help and version print to stdout and return 0. Errors are
// returned, not printed.
CliOutcome run_cli(const std::vector<std::string>& args);

// Where `reconstruct` finds the bundled learned optimizer when no --model is given. By default: beside the running
// program (PREFIX/share/ttgs/g3r.ttgs), else the source tree's models/. The Python module points it at its own copy.
void set_bundled_model_path(const std::string& path);
std::string bundled_model_path();

// The program that commands start copies of (`train-optimizer --nproc N`): this process's own executable, unless the
// Python module set it (the interpreter is not ttgs): to the ttgs program it found, or to "" when there is none
// (then such commands are refused with a clear error).
void set_program_path(const std::string& path);
std::optional<std::string> program_path();

}  // namespace ttgs::app
