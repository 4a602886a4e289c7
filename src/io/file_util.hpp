#pragma once
// Whole-file reads and atomic writes (temporary file in the same folder, then rename), so a killed run never
// leaves a half-written output.
#include <cstdint>
#include <string>

namespace ttgs::io {

// Reads a whole file; InputError naming the path when it is missing, a folder, or unreadable.
std::string read_file(const std::string& path);
// Writes bytes to path atomically; InputError when the folder does not exist or is not writable.
void write_file_atomic(const std::string& path, const std::string& bytes);
bool file_exists(const std::string& path);
uint64_t file_size(const std::string& path);  // 0 when it cannot be read
// Creates the folder `path` is in, and its parents (InputError naming `path` when that fails).
void make_parent_directories(const std::string& path);
bool is_directory(const std::string& path);
// Joins a base folder and a relative path; absolute `rel` is returned as is.
std::string join_path(const std::string& base, const std::string& rel);
std::string parent_path(const std::string& path);
std::string lower_extension(const std::string& path);  // ".ply", ".png", ... lower-cased

}  // namespace ttgs::io
