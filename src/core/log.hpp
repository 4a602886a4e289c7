#pragma once
// Warnings and notes on stderr, one line each.
#include <string>

namespace ttgs {
void warn(const std::string& message);  // "ttgs: warning: <message>"
void set_quiet(bool quiet);             // silences notes and progress, not warnings
bool is_quiet();
void note(const std::string& message);  // "ttgs: <message>" unless quiet
// As note, but each distinct message only the first time in this process (a dataset read again and again, as the
// refinement ladder does, says what it found once).
void note_once(const std::string& message);
}  // namespace ttgs
