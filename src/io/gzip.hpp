#pragma once
// gzip streams (RFC 1952) through zlib: what SPZ files are wrapped in.
#include <cstdint>
#include <string>

namespace ttgs::io {

std::string gzip_compress(const std::string& bytes, int level = 9);
// InputError naming `name` for data that is not gzip, is truncated, or would inflate beyond max_bytes.
std::string gzip_decompress(const std::string& bytes, const std::string& name, uint64_t max_bytes = uint64_t(1) << 32);

}  // namespace ttgs::io
