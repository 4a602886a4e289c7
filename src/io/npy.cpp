#include "io/npy.hpp"

#include <cmath>
#include <cstring>
#include <regex>

#include "core/error.hpp"
#include "io/file_util.hpp"

namespace ttgs::io {
namespace {
template <typename T>
T load_scalar(const char* p, bool swap) {
  char b[sizeof(T)];
  std::memcpy(b, p, sizeof(T));
  if (swap)
    for (size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(b[i], b[sizeof(T) - 1 - i]);
  T v;
  std::memcpy(&v, b, sizeof(T));
  return v;
}
}  // namespace

Image parse_npy_image(const std::string& bytes, const std::string& name) {
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) throw InputError(name, "not a .npy file (bad magic)");
  const int major = static_cast<unsigned char>(bytes[6]);
  size_t header_len = 0, offset = 0;
  if (major == 1) {
    header_len = static_cast<unsigned char>(bytes[8]) | (size_t(static_cast<unsigned char>(bytes[9])) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) throw InputError(name, "truncated .npy header");
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= size_t(static_cast<unsigned char>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    throw InputError(name, "unsupported .npy version " + std::to_string(major));
  }
  if (offset + header_len > bytes.size()) throw InputError(name, "truncated .npy header");
  const std::string header = bytes.substr(offset, header_len);
  std::smatch m;
  if (!std::regex_search(header, m, std::regex("'descr'\\s*:\\s*'([<>|=])([a-z])(\\d+)'")))
    throw InputError(name, ".npy header has no dtype");
  const char order = m[1].str()[0], kind = m[2].str()[0];
  const int size = std::stoi(m[3].str());
  if (std::regex_search(header, std::regex("'fortran_order'\\s*:\\s*True")))
    throw InputError(name, "Fortran-ordered .npy arrays are not supported");
  if (!std::regex_search(header, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)"))) throw InputError(name, ".npy header has no shape");
  std::vector<long long> shape;
  const std::string dims = m[1].str();
  const std::regex digits("\\d+");
  for (std::sregex_iterator it(dims.begin(), dims.end(), digits), end; it != end; ++it)
    shape.push_back(std::stoll(it->str()));
  if (!(shape.size() == 2 || (shape.size() == 3 && shape[2] == 1)))
    throw InputError(name, "expected a 2-D depth array (H, W), got " + std::to_string(shape.size()) + " dimensions");
  if (shape[0] <= 0 || shape[1] <= 0 || shape[0] > (1 << 16) || shape[1] > (1 << 16))
    throw InputError(name, "depth array has zero or absurd size");
  const bool swap = order == '>';
  const size_t n = size_t(shape[0]) * size_t(shape[1]);
  const size_t data_off = offset + header_len;
  if (bytes.size() - data_off < n * size_t(size)) throw InputError(name, "truncated .npy data");
  Image img{int(shape[1]), int(shape[0]), 1};
  const char* p = bytes.data() + data_off;
  for (size_t i = 0; i < n; ++i, p += size) {
    double v;
    if (kind == 'f' && size == 4) v = load_scalar<float>(p, swap);
    else if (kind == 'f' && size == 8) v = load_scalar<double>(p, swap);
    else if (kind == 'u' && size == 2) v = load_scalar<uint16_t>(p, swap);
    else if (kind == 'u' && size == 1) v = static_cast<unsigned char>(*p);
    else throw InputError(name, std::string("unsupported .npy dtype '") + kind + std::to_string(size) + "'");
    if (!std::isfinite(v)) throw InputError(name, "depth value at index " + std::to_string(i) + " is NaN or infinite");
    img.data[i] = float(v);
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
