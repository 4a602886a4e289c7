#include "io/npz.hpp"

#include <zlib.h>

#include <cstdint>
#include <cstring>

#include "core/error.hpp"
#include "io/file_util.hpp"

namespace ttgs::io {
namespace {

constexpr uint64_t kMaxMemberBytes = uint64_t(1) << 31;  // 2 GiB: larger members are refused, not inflated

uint64_t le(const std::string& b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(static_cast<unsigned char>(b[at + size_t(i)])) << (8 * i);
  return v;
}

// Where a member's bytes start and how it is stored, from its central directory entry.
struct ZipEntry {
  std::string name;
  int method = 0;
  uint64_t compressed = 0, size = 0, local_offset = 0;
  uint32_t crc = 0;
};

// ZIP64 sizes and offset in an entry's extra field replace the 0xFFFFFFFF placeholders, in this order.
void apply_zip64_extra(const std::string& b, size_t at, size_t len, ZipEntry& e) {
  for (size_t p = at; p + 4 <= at + len;) {
    const uint64_t id = le(b, p, 2), n = le(b, p + 2, 2);
    if (p + 4 + n > at + len) break;
    if (id == 1) {
      size_t q = p + 4;
      for (uint64_t* field : {&e.size, &e.compressed, &e.local_offset})
        if (*field == 0xFFFFFFFFu && q + 8 <= p + 4 + n) *field = le(b, q, 8), q += 8;
    }
    p += 4 + n;
  }
}

std::vector<ZipEntry> central_directory(const std::string& b, const std::string& path) {
  if (b.size() < 22) throw InputError(path, "not a .npz (zip) file: too short");
  size_t eocd = std::string::npos;
  for (size_t p = b.size() - 22;; --p) {
    if (le(b, p, 4) == 0x06054b50) {
      eocd = p;
      break;
    }
    if (p == 0 || b.size() - p > 22 + 65535) break;
  }
  if (eocd == std::string::npos) throw InputError(path, "not a .npz (zip) file: no end of central directory");
  uint64_t count = le(b, eocd + 10, 2), offset = le(b, eocd + 16, 4);
  if ((count == 0xFFFF || offset == 0xFFFFFFFFu) && eocd >= 20 && le(b, eocd - 20, 4) == 0x07064b50) {
    const uint64_t z64 = le(b, eocd - 12, 8);
    if (z64 + 56 > b.size() || le(b, size_t(z64), 4) != 0x06064b50) throw InputError(path, "corrupt ZIP64 directory");
    count = le(b, size_t(z64) + 32, 8);
    offset = le(b, size_t(z64) + 48, 8);
  }
  std::vector<ZipEntry> entries;
  size_t p = size_t(std::min<uint64_t>(offset, b.size()));
  for (uint64_t i = 0; i < count; ++i) {
    if (p + 46 > b.size() || le(b, p, 4) != 0x02014b50) throw InputError(path, "corrupt zip central directory");
    ZipEntry e;
    e.method = int(le(b, p + 10, 2));
    e.crc = uint32_t(le(b, p + 16, 4));
    e.compressed = le(b, p + 20, 4);
    e.size = le(b, p + 24, 4);
    const size_t name_len = le(b, p + 28, 2), extra_len = le(b, p + 30, 2), comment_len = le(b, p + 32, 2);
    e.local_offset = le(b, p + 42, 4);
    if (p + 46 + name_len + extra_len + comment_len > b.size()) throw InputError(path, "corrupt zip central directory");
    e.name = b.substr(p + 46, name_len);
    apply_zip64_extra(b, p + 46 + name_len, extra_len, e);
    entries.push_back(e);
    p += 46 + name_len + extra_len + comment_len;
  }
  return entries;
}

std::string inflate_member(const std::string& b, const ZipEntry& e, const std::string& path) {
  const std::string where = "member " + e.name + ": ";
  if (e.local_offset + 30 > b.size() || le(b, size_t(e.local_offset), 4) != 0x04034b50)
    throw InputError(path, where + "corrupt local header");
  const size_t start =
      size_t(e.local_offset) + 30 + le(b, size_t(e.local_offset) + 26, 2) + le(b, size_t(e.local_offset) + 28, 2);
  if (start > b.size() || e.compressed > b.size() - start) throw InputError(path, where + "truncated");
  if (e.size > kMaxMemberBytes) throw InputError(path, where + "larger than 2 GiB");
  std::string out;
  if (e.method == 0) {
    if (e.compressed != e.size) throw InputError(path, where + "stored sizes disagree");
    out = b.substr(start, size_t(e.size));
  } else if (e.method == 8) {
    out.resize(size_t(e.size));
    z_stream z{};
    if (inflateInit2(&z, -MAX_WBITS) != Z_OK) throw InputError(path, where + "zlib failed to start");
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(b.data() + start));
    z.avail_in = uInt(std::min<uint64_t>(e.compressed, 0xFFFFFFFFu));
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = uInt(out.size());
    const int rc = inflate(&z, Z_FINISH);
    const uint64_t produced = z.total_out;
    inflateEnd(&z);
    if (rc != Z_STREAM_END || produced != e.size) throw InputError(path, where + "corrupt deflate data");
  } else {
    throw InputError(path, where + "unsupported zip compression method " + std::to_string(e.method));
  }
  const uLong crc = crc32(0L, reinterpret_cast<const Bytef*>(out.data()), uInt(out.size()));
  if (uint32_t(crc) != e.crc) throw InputError(path, where + "CRC mismatch (corrupt file)");
  return out;
}

}  // namespace

NpyArray read_npz_array(const std::string& path, const std::string& key) {
  const std::string bytes = read_file(path);
  std::string names;
  for (const ZipEntry& e : central_directory(bytes, path)) {
    if (e.name == key + ".npy" || e.name == key)
      return parse_npy_array(inflate_member(bytes, e, path), path + ":" + key);
    names += (names.empty() ? "" : ", ") + e.name;
  }
  throw InputError(path, "no array '" + key + "' in the .npz (it holds: " + (names.empty() ? "nothing" : names) + ")");
}

}  // namespace ttgs::io
