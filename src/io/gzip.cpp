#include "io/gzip.hpp"

#include <zlib.h>

#include <stdexcept>

#include "core/error.hpp"

namespace ttgs::io {

std::string gzip_compress(const std::string& bytes, int level) {
  z_stream z{};
  if (deflateInit2(&z, level, Z_DEFLATED, MAX_WBITS + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("zlib failed to start a gzip stream");
  std::string out(deflateBound(&z, uLong(bytes.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = uInt(bytes.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = uInt(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) throw std::runtime_error("zlib failed to compress");
  return out;
}

std::string gzip_decompress(const std::string& bytes, const std::string& name, uint64_t max_bytes) {
  if (bytes.size() < 18 || uint8_t(bytes[0]) != 0x1f || uint8_t(bytes[1]) != 0x8b)
    throw InputError(name, "not a gzip stream");
  z_stream z{};
  if (inflateInit2(&z, MAX_WBITS + 16) != Z_OK) throw InputError(name, "zlib failed to start");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  z.avail_in = uInt(bytes.size());
  std::string out;
  char buffer[1 << 16];
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof(buffer);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) break;
    out.append(buffer, sizeof(buffer) - z.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&z);
      throw InputError(name, "inflates to more than " + std::to_string(max_bytes) + " bytes");
    }
    if (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0) break;  // input ended inside the stream
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) throw InputError(name, "truncated or corrupt gzip data");
  return out;
}

}  // namespace ttgs::io
