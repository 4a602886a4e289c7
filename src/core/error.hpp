#pragma once
// Errors the CLI reports as `ttgs: error: <path>: <what>`: InputError (exit 2) is bad input,
// anything else is an internal error (exit 1).
#include <stdexcept>
#include <string>

namespace ttgs {

class InputError : public std::runtime_error {
 public:
  InputError(std::string path, const std::string& what);
  const std::string& path() const { return path_; }
  const std::string& message() const { return message_; }

 private:
  std::string path_;
  std::string message_;
};

// A path made printable: bytes that are not valid UTF-8 or are control characters become \xNN.
std::string printable_path(const std::string& path);

}  // namespace ttgs
