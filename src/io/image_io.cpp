#include "io/image_io.hpp"

#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "core/error.hpp"
#include "io/file_util.hpp"

namespace ttgs::io {

DecodedImage decode_image(const std::string& bytes, const std::string& name) {
  if (bytes.empty()) throw InputError(name, "image file is empty");
  if (bytes.size() > size_t(INT32_MAX)) throw InputError(name, "image file too large");
  const auto* buf = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int len = int(bytes.size());
  int w = 0, h = 0, n = 0;
  if (!stbi_info_from_memory(buf, len, &w, &h, &n))
    throw InputError(name, std::string("cannot decode image: ") + (stbi_failure_reason() ? stbi_failure_reason() : "unknown format"));
  if (w <= 0 || h <= 0) throw InputError(name, "image has zero size");
  const bool is16 = stbi_is_16_bit_from_memory(buf, len) != 0;
  DecodedImage out;
  out.bit_depth = is16 ? 16 : 8;
  std::vector<float> px;
  if (is16) {
    std::unique_ptr<stbi_us, void (*)(void*)> p(stbi_load_16_from_memory(buf, len, &w, &h, &n, 0), stbi_image_free);
    if (!p) throw InputError(name, std::string("cannot decode image: ") + stbi_failure_reason());
    px.resize(size_t(w) * h * n);
    for (size_t i = 0; i < px.size(); ++i) px[i] = p.get()[i] / 65535.f;
  } else {
    std::unique_ptr<stbi_uc, void (*)(void*)> p(stbi_load_from_memory(buf, len, &w, &h, &n, 0), stbi_image_free);
    if (!p) throw InputError(name, std::string("cannot decode image: ") + stbi_failure_reason());
    px.resize(size_t(w) * h * n);
    for (size_t i = 0; i < px.size(); ++i) px[i] = p.get()[i] / 255.f;
  }
  const int color_ch = (n == 1 || n == 2) ? 1 : 3;
  const bool has_alpha = n == 2 || n == 4;
  out.color = Image(w, h, color_ch);
  if (has_alpha) out.alpha = Image(w, h, 1);
  for (size_t p = 0; p < size_t(w) * h; ++p) {
    for (int c = 0; c < color_ch; ++c) out.color.data[p * color_ch + c] = px[p * n + c];
    if (has_alpha) out.alpha->data[p] = px[p * n + n - 1];
  }
  return out;
}

DecodedImage read_image(const std::string& path) { return decode_image(read_file(path), path); }

Image read_rgb_image(const std::string& path, const float background[3]) {
  DecodedImage d = read_image(path);
  if (d.color.channels == 3 && !d.alpha) return std::move(d.color);  // nothing to composite: no copy
  Image rgb(d.color.width, d.color.height, 3);
  const size_t np = size_t(rgb.width) * rgb.height;
  for (size_t p = 0; p < np; ++p) {
    const float a = d.alpha ? d.alpha->data[p] : 1.f;
    for (int c = 0; c < 3; ++c) {
      const float v = d.color.channels == 1 ? d.color.data[p] : d.color.data[p * 3 + c];
      rgb.data[p * 3 + c] = v * a + background[c] * (1.f - a);
    }
  }
  return rgb;
}

namespace {
void append_bytes(void* ctx, void* data, int size) {
  static_cast<std::string*>(ctx)->append(static_cast<const char*>(data), size_t(size));
}

void put_u32be(std::string& s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s.push_back(char((v >> (8 * i)) & 0xFF));
}

void put_chunk(std::string& out, const char type[4], const std::string& payload) {
  put_u32be(out, uint32_t(payload.size()));
  std::string body(type, 4);
  body += payload;
  out += body;
  put_u32be(out, uint32_t(crc32(0L, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size()))));
}

// stb_image_write has no 16-bit PNG output: a minimal encoder (filter type 0, one IDAT) on zlib.
std::string encode_png16(int w, int h, int channels, const std::vector<uint16_t>& values) {
  std::string raw;
  raw.reserve(size_t(h) * (1 + size_t(w) * channels * 2));
  for (int y = 0; y < h; ++y) {
    raw.push_back(0);
    for (size_t i = 0; i < size_t(w) * channels; ++i) {
      const uint16_t v = values[size_t(y) * w * channels + i];
      raw.push_back(char(v >> 8));
      raw.push_back(char(v & 0xFF));
    }
  }
  uLongf zlen = compressBound(uLong(raw.size()));
  std::string z(zlen, '\0');
  if (compress2(reinterpret_cast<Bytef*>(z.data()), &zlen, reinterpret_cast<const Bytef*>(raw.data()), uLong(raw.size()),
                6) != Z_OK)
    throw std::runtime_error("zlib compression failed");
  z.resize(zlen);
  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  put_u32be(ihdr, uint32_t(w));
  put_u32be(ihdr, uint32_t(h));
  const char color_type = channels == 1 ? 0 : channels == 3 ? 2 : 6;
  ihdr += std::string{char(16), color_type, 0, 0, 0};
  put_chunk(out, "IHDR", ihdr);
  put_chunk(out, "IDAT", z);
  put_chunk(out, "IEND", "");
  return out;
}
}  // namespace

std::string encode_png(const Image& img, int bit_depth, const std::string& name) {
  if (img.empty() || (img.channels != 1 && img.channels != 3 && img.channels != 4))
    throw InputError(name, "cannot write an empty image or one with " + std::to_string(img.channels) + " channels");
  std::string bytes;
  if (bit_depth == 16) {
    std::vector<uint16_t> v(img.data.size());
    for (size_t i = 0; i < v.size(); ++i) v[i] = uint16_t(std::lround(std::clamp(img.data[i], 0.f, 1.f) * 65535.f));
    return encode_png16(img.width, img.height, img.channels, v);
  }
  std::vector<unsigned char> v(img.data.size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = (unsigned char)std::lround(std::clamp(img.data[i], 0.f, 1.f) * 255.f);
  if (!stbi_write_png_to_func(append_bytes, &bytes, img.width, img.height, img.channels, v.data(),
                              img.width * img.channels))
    throw InputError(name, "PNG encoding failed");
  return bytes;
}

void write_png(const std::string& path, const Image& img, int bit_depth) {
  write_file_atomic(path, encode_png(img, bit_depth, path));
}

void write_jpeg(const std::string& path, const Image& img, int quality) {
  if (img.empty() || (img.channels != 1 && img.channels != 3))
    throw InputError(path, "cannot write an empty JPEG or one with " + std::to_string(img.channels) + " channels");
  if (quality < 1 || quality > 100) throw InputError(path, "JPEG quality must be 1-100");
  std::vector<unsigned char> v(img.data.size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = (unsigned char)std::lround(std::clamp(img.data[i], 0.f, 1.f) * 255.f);
  std::string bytes;
  if (!stbi_write_jpg_to_func(append_bytes, &bytes, img.width, img.height, img.channels, v.data(), quality))
    throw InputError(path, "JPEG encoding failed");
  write_file_atomic(path, bytes);
}

void write_png16_raw(const std::string& path, int width, int height, const std::vector<uint16_t>& values) {
  if (values.size() != size_t(width) * height) throw InputError(path, "depth values do not match the image size");
  write_file_atomic(path, encode_png16(width, height, 1, values));
}

}  // namespace ttgs::io
