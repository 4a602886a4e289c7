// Fuzzes the transforms.json reader (its image paths point nowhere, so frames count as missing).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "io/transforms_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    ttgs::io::parse_transforms_json(text, "/nonexistent-fuzz-root/transforms.json");
  } catch (const ttgs::InputError&) {
  }
  return 0;
}
