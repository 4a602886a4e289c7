// Fuzzes the PLY reader: any bytes either parse or raise InputError; nothing else may happen.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "io/ply.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    ttgs::io::parse_splat_ply(bytes, "fuzz.ply");
  } catch (const ttgs::InputError&) {
  }
  try {
    ttgs::io::parse_point_cloud_ply(bytes, "fuzz.ply");
  } catch (const ttgs::InputError&) {
  }
  return 0;
}
