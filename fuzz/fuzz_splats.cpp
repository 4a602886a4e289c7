// Fuzzes the compact splat readers (SPZ, .splat, compressed PLY, glTF): any bytes either parse or raise InputError.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "io/splat_formats.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  using Parser = ttgs::SplatData (*)(const std::string&, const std::string&);
  for (Parser parse : {Parser(&ttgs::io::parse_spz), Parser(&ttgs::io::parse_antimatter_splat),
                       Parser(&ttgs::io::parse_compressed_ply), Parser(&ttgs::io::parse_glb_splats)}) {
    try {
      parse(bytes, "fuzz");
    } catch (const ttgs::InputError&) {
    }
  }
  return 0;
}
