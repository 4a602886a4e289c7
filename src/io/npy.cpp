#include "io/npy.hpp"

#include <cmath>
#include <cstring>
#include <regex>

#include "core/error.hpp"
#include "io/file_util.hpp"

namespace ttgs::io {
namespace {
constexpr uint64_t kMaxValues = uint64_t(1) << 31;

uint64_t le(const std::string& b, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= uint64_t(static_cast<unsigned char>(b[at + size_t(i)])) << (8 * i);
  return v;
}

template <typename T>
double load(const char* p, bool swap) {
  char b[sizeof(T)];
  std::memcpy(b, p, sizeof(T));
  if (swap)
    for (size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(b[i], b[sizeof(T) - 1 - i]);
  T v;
  std::memcpy(&v, b, sizeof(T));
  return double(v);
}

double load_value(const char* p, char kind, int size, bool swap) {
  if (kind == 'f' && size == 4) return load<float>(p, swap);
  if (kind == 'f' && size == 8) return load<double>(p, swap);
  if (kind == 'i' && size == 1) return load<int8_t>(p, false);
  if (kind == 'i' && size == 2) return load<int16_t>(p, swap);
  if (kind == 'i' && size == 4) return load<int32_t>(p, swap);
  if (kind == 'i' && size == 8) return load<int64_t>(p, swap);
  if ((kind == 'u' || kind == 'b') && size == 1) return load<uint8_t>(p, false);
  if (kind == 'u' && size == 2) return load<uint16_t>(p, swap);
  if (kind == 'u' && size == 4) return load<uint32_t>(p, swap);
  return load<uint64_t>(p, swap);  // 'u', 8: the caller checked the dtype
}

}  // namespace

NpyArray parse_npy_array(const std::string& bytes, const std::string& name) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    throw InputError(name, "not a .npy array (bad magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  if (major < 1 || major > 3) throw InputError(name, "unsupported .npy version " + std::to_string(major));
  const size_t offset = major == 1 ? 10 : 12;
  if (bytes.size() < offset) throw InputError(name, "truncated .npy header");
  const size_t header_len = size_t(le(bytes, 8, major == 1 ? 2 : 4));
  if (offset + header_len > bytes.size()) throw InputError(name, "truncated .npy header");
  const std::string header = bytes.substr(offset, header_len);
  std::smatch m;
  if (std::regex_search(header, std::regex("'descr'\\s*:\\s*\\[")))
    throw InputError(name, "structured .npy arrays are not supported (expected one numeric dtype)");
  if (!std::regex_search(header, m, std::regex("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'")))
    throw InputError(name, ".npy header has no dtype");
  const char order = m[1].str()[0], kind = m[2].str()[0];
  const int size = std::stoi(m[3].str());
  const bool known = (kind == 'f' && (size == 4 || size == 8)) ||
                     ((kind == 'i' || kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
                     (kind == 'b' && size == 1);
  if (!known) throw InputError(name, std::string("unsupported .npy dtype '") + kind + std::to_string(size) + "'");
  if (std::regex_search(header, std::regex("'fortran_order'\\s*:\\s*True")))
    throw InputError(name, "Fortran-ordered .npy arrays are not supported");
  if (!std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)")))
    throw InputError(name, ".npy header has no shape");
  NpyArray a;
  const std::string dims = m[1].str();
  uint64_t n = 1;
  const std::regex digits("\\d+");
  for (std::sregex_iterator it(dims.begin(), dims.end(), digits), end; it != end; ++it) {
    if (it->str().size() > 12) throw InputError(name, ".npy array is absurdly large");
    a.shape.push_back(size_t(std::stoull(it->str())));
    n *= a.shape.back();
    if (n > kMaxValues) throw InputError(name, ".npy array is absurdly large");
  }
  const size_t data_off = offset + header_len;
  if (bytes.size() - data_off < n * uint64_t(size)) throw InputError(name, "truncated .npy data");
  a.values.resize(size_t(n));
  const char* p = bytes.data() + data_off;
  for (size_t i = 0; i < a.values.size(); ++i, p += size) a.values[i] = load_value(p, kind, size, order == '>');
  return a;
}

Image parse_npy_image(const std::string& bytes, const std::string& name) {
  const NpyArray a = parse_npy_array(bytes, name);
  const std::vector<size_t>& shape = a.shape;
  if (!(shape.size() == 2 || (shape.size() == 3 && shape[2] == 1)))
    throw InputError(name, "expected a 2-D depth array (H, W), got " + std::to_string(shape.size()) + " dimensions");
  if (shape[0] == 0 || shape[1] == 0 || shape[0] > (1 << 16) || shape[1] > (1 << 16))
    throw InputError(name, "depth array has zero or absurd size");
  Image img{int(shape[1]), int(shape[0]), 1};
  for (size_t i = 0; i < a.values.size(); ++i) {
    if (!std::isfinite(a.values[i]))
      throw InputError(name, "depth value at index " + std::to_string(i) + " is NaN or infinite");
    img.data[i] = float(a.values[i]);
  }
  return img;
}

Image read_npy_image(const std::string& path) { return parse_npy_image(read_file(path), path); }

void write_npy_float32(const std::string& path, const Image& img) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(img.height) + ", " +
                       std::to_string(img.width) + "), }";
  while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::string out("\x93NUMPY\x01\x00", 8);
  out.push_back(char(header.size() & 0xFF));
  out.push_back(char(header.size() >> 8));
  out += header;
  out.append(reinterpret_cast<const char*>(img.data.data()), img.data.size() * sizeof(float));
  write_file_atomic(path, out);
}

}  // namespace ttgs::io
