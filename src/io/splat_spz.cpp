// Niantic's SPZ. Written as version 3 (one gzip stream: a 16-byte header, then the attributes in blocks); read as
// versions 2 and 3 (gzip) and 4 (a plain header, a table of contents and one zstd frame per attribute, what
// splat-transform writes by default). Coordinates are stored as given, with no axis change (what Niantic's
// ply_to_spz and splat-transform do). Per Gaussian:
//   position  3 x signed 24-bit fixed point (12 fractional bits as written; the header says how many);
//   alpha     u8 = sigmoid(opacity) x 255;
//   colour    3 x u8 = DC x 0.15 x 255 + 127.5 (the SH DC coefficient, not RGB: out-of-gamut values survive);
//   scale     3 x u8 = (log-scale + 10) x 16;
//   rotation  v2: x y z as u8 (w >= 0 implied); v3/v4: "smallest three" in a u32 (2-bit index, 3 x 10 bits);
//   SH rest   u8 = 128 x value + 128, coefficient-major with the colour innermost, rounded to 2^(8 - bits) steps:
//             Niantic writes 5 bits for degree 1 and 4 for degrees 2-3; ours by default 7 and 6 (on the fox scene:
//             0.15 dB lost instead of 0.59, 10.1x smaller than the PLY instead of 13.3x). Readers need not know.
// Lost: position precision below 2^-12 (fewer fractional bits when a position exceeds +-2048), log-scales outside
// [-10, 5.94], SH beyond [-1, 1).
#include <zstd.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <memory>

#include "io/bytes.hpp"
#include "io/gzip.hpp"
#include "io/splat_formats.hpp"
#include "io/splat_values.hpp"

namespace ttgs::io {
namespace {

namespace sv = splat_values;

constexpr uint32_t kMagic = 0x5053474E;  // "NGSP"
constexpr int kFractionalBits = 12;
constexpr double kColorScale = 0.15;
constexpr double kHalfSqrt2 = 0.7071067811865476;

uint8_t clamp_round(double x) { return uint8_t(std::clamp(std::round(x), 0.0, 255.0)); }

// Quaternion (w, x, y, z), normalized, as the u32 "smallest three" of SPZ v3 (components indexed x y z w).
uint32_t pack_smallest_three(const float* wxyz) {
  const std::array<double, 4> unit = sv::unit_wxyz(wxyz);
  const std::array<double, 4> q{unit[1], unit[2], unit[3], unit[0]};
  const int largest = sv::largest_component(q);
  const bool negate = q[size_t(largest)] < 0;
  uint32_t packed = uint32_t(largest);
  for (int i = 0; i < 4; ++i) {
    if (i == largest) continue;
    const double c = q[size_t(i)];
    const uint32_t sign = (c < 0) != negate ? 1 : 0;
    const uint32_t magnitude = uint32_t(std::min(511.0, std::floor(511.0 * std::abs(c) / kHalfSqrt2 + 0.5)));
    packed = (packed << 10) | (sign << 9) | magnitude;
  }
  return packed;
}

void unpack_smallest_three(uint32_t packed, float* wxyz) {
  const int largest = int(packed >> 30);
  std::array<double, 4> q{};
  double sum = 0;
  for (int i = 3; i >= 0; --i) {
    if (i == largest) continue;
    const uint32_t field = packed & 1023u;
    packed >>= 10;
    const double magnitude = kHalfSqrt2 * double(field & 511u) / 511.0;
    q[size_t(i)] = (field & 512u) ? -magnitude : magnitude;
    sum += q[size_t(i)] * q[size_t(i)];
  }
  q[size_t(largest)] = std::sqrt(std::max(0.0, 1.0 - sum));
  wxyz[0] = float(q[3]), wxyz[1] = float(q[0]), wxyz[2] = float(q[1]), wxyz[3] = float(q[2]);
}

uint8_t quantize_sh(double x, int bucket) {
  int q = int(std::round(x * 128.0)) + 128;
  q = ((q + bucket / 2) / bucket) * bucket;  // integer division as the reference writer does
  return uint8_t(std::clamp(q, 0, 255));
}

struct SpzHeader {
  uint32_t version = 3, count = 0;
  int sh_degree = 0, fractional_bits = kFractionalBits;
};

// Attribute blocks (the same layout in every version) into `s`.
void decode_blocks(const std::string& data, size_t offset, const SpzHeader& h, const std::string& name, SplatData& s) {
  const size_t n = h.count;
  const int rest = sh_rest_count(h.sh_degree);
  const size_t rotation_bytes = h.version >= 3 ? 4 : 3;
  const size_t need = n * (9 + 1 + 3 + 3 + rotation_bytes + size_t(rest) * 3);
  if (data.size() < offset + need) throw InputError(name, "truncated: the header promises " + std::to_string(n) + " Gaussians");
  const auto* b = reinterpret_cast<const uint8_t*>(data.data()) + offset;
  const double unit = 1.0 / double(1 << h.fractional_bits);
  s.resize(n, h.sh_degree);
  for (size_t i = 0; i < 3 * n; ++i, b += 3) {
    int32_t v = int32_t(b[0]) | (int32_t(b[1]) << 8) | (int32_t(b[2]) << 16);
    if (v & 0x800000) v -= 0x1000000;
    s.means[i] = float(v * unit);
  }
  for (size_t i = 0; i < n; ++i) s.opacity_logits[i] = float(sv::logit(*b++ / 255.0));
  for (size_t i = 0; i < 3 * n; ++i) s.sh_dc[i] = float((*b++ / 255.0 - 0.5) / kColorScale);
  for (size_t i = 0; i < 3 * n; ++i) s.log_scales[i] = float(*b++ / 16.0 - 10.0);
  for (size_t i = 0; i < n; ++i) {
    float* q = &s.quats[4 * i];
    if (h.version >= 3) {
      unpack_smallest_three(uint32_t(b[0]) | (uint32_t(b[1]) << 8) | (uint32_t(b[2]) << 16) | (uint32_t(b[3]) << 24), q);
      b += 4;
    } else {
      const double x = b[0] / 127.5 - 1, y = b[1] / 127.5 - 1, z = b[2] / 127.5 - 1;
      q[0] = float(std::sqrt(std::max(0.0, 1 - x * x - y * y - z * z))), q[1] = float(x), q[2] = float(y), q[3] = float(z);
      b += 3;
    }
  }
  for (size_t i = 0; i < n; ++i)
    for (int k = 0; k < rest; ++k)
      for (int c = 0; c < 3; ++c) s.sh_rest[(i * size_t(rest) + size_t(k)) * 3 + size_t(c)] = float((*b++ - 128.0) / 128.0);
}

SpzHeader check_header(uint32_t magic, uint32_t version, uint32_t count, int degree, int bits, const std::string& name) {
  if (magic != kMagic) throw InputError(name, "not an SPZ file (no NGSP magic)");
  if (version < 2 || version > 4) throw InputError(name, "SPZ version " + std::to_string(version) + " is not supported (2-4)");
  if (degree > 3) throw InputError(name, "SH degree " + std::to_string(degree) + " is not supported (0-3)");
  if (bits > 23) throw InputError(name, "implausible fractional bits " + std::to_string(bits));
  if (count > (1u << 28)) throw InputError(name, "implausible Gaussian count " + std::to_string(count));
  return {version, count, degree, bits};
}

// One zstd frame of exactly `expected` bytes, decoded in pieces so that memory follows what the data really holds.
std::string zstd_frame(const char* at, size_t packed, size_t expected, const std::string& name) {
  std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> ctx(ZSTD_createDCtx(), &ZSTD_freeDCtx);
  std::string out;
  ZSTD_inBuffer in{at, packed, 0};
  char piece[1 << 16];
  size_t rc = 1;
  while (rc != 0) {
    ZSTD_outBuffer o{piece, sizeof(piece), 0};
    rc = ZSTD_decompressStream(ctx.get(), &o, &in);
    if (ZSTD_isError(rc)) throw InputError(name, std::string("corrupt zstd stream in SPZ v4: ") + ZSTD_getErrorName(rc));
    out.append(piece, o.pos);
    if (out.size() > expected) throw InputError(name, "an SPZ v4 stream holds more than its header says");
    if (rc != 0 && in.pos == in.size && o.pos == 0) break;  // input used up inside the frame
  }
  if (rc != 0 || out.size() != expected) throw InputError(name, "truncated zstd stream in SPZ v4");
  return out;
}

// Version 4: plain header, table of contents, one zstd frame per attribute (concatenated here into v3's layout).
SplatData parse_spz_v4(const std::string& bytes, const std::string& name) {
  ByteReader r(bytes, name);
  const uint32_t magic = r.get<uint32_t>(), version = r.get<uint32_t>(), count = r.get<uint32_t>();
  const int degree = r.byte(), bits = r.byte();
  r.byte();  // flags: antialiased, extensions (skipped through the table of contents' offset)
  const int streams = r.byte();
  const uint32_t toc = r.get<uint32_t>();
  SpzHeader h = check_header(magic, version, count, degree, bits, name);
  if (toc < 32 || streams != (degree > 0 ? 6 : 5)) throw InputError(name, "malformed SPZ v4 table of contents");
  ByteReader t(bytes, name, toc);
  std::vector<std::pair<uint64_t, uint64_t>> sizes;
  for (int i = 0; i < streams; ++i) {
    const uint64_t packed = t.get<uint64_t>();  // (two statements: argument order is unspecified)
    sizes.emplace_back(packed, t.get<uint64_t>());
  }
  // positions, alphas, colours, scales, rotations, SH: bytes per Gaussian, as the header implies.
  const uint64_t per[6] = {9, 1, 3, 3, 4, uint64_t(3 * sh_rest_count(degree))};
  std::string data;
  size_t at = t.offset();
  for (size_t k = 0; k < sizes.size(); ++k) {
    const auto [packed, plain] = sizes[k];
    if (plain != per[k] * count) throw InputError(name, "an SPZ v4 stream's size does not match the header");
    if (packed > bytes.size() - at) throw InputError(name, "truncated SPZ v4 stream");
    data += zstd_frame(bytes.data() + at, size_t(packed), size_t(plain), name);
    at += size_t(packed);
  }
  SplatData s;
  decode_blocks(data, 0, h, name, s);
  return s;
}

}  // namespace

std::string encode_spz(const SplatData& s, const SpzOptions& o) {
  if (o.sh1_bits < 1 || o.sh1_bits > 8 || o.sh_rest_bits < 1 || o.sh_rest_bits > 8)
    throw InputError("--spz-sh-bits", "bits must be between 1 and 8");
  const int bucket1 = 1 << (8 - o.sh1_bits), bucket_rest = 1 << (8 - o.sh_rest_bits);
  if (s.sh_degree > 3) throw InputError("spz", "SH degree above 3");
  const size_t n = s.count;
  const int rest = sh_rest_count(s.sh_degree);
  ByteWriter w;
  w.put<uint32_t>(kMagic);
  w.put<uint32_t>(3);
  w.put<uint32_t>(uint32_t(n));
  // 12 fractional bits (what every writer uses) unless a position would not fit in 24 bits: then fewer.
  double extent = 0;
  for (float v : s.means) extent = std::max(extent, double(std::abs(v)));
  int bits = kFractionalBits;
  while (bits > 0 && extent * double(1 << bits) >= double((1 << 23) - 1)) --bits;
  w.put<uint8_t>(uint8_t(s.sh_degree));
  w.put<uint8_t>(uint8_t(bits));
  w.put<uint8_t>(o.antialiased ? 1 : 0);  // flags: bit 0 antialiased; no extensions
  w.put<uint8_t>(0);
  for (size_t i = 0; i < 3 * n; ++i) {
    const int32_t v = int32_t(std::lround(std::clamp(double(s.means[i]) * (1 << bits), -8388607.0, 8388607.0)));
    for (int k = 0; k < 3; ++k) w.put<uint8_t>(uint8_t((uint32_t(v) >> (8 * k)) & 0xffu));
  }
  for (size_t i = 0; i < n; ++i) w.put<uint8_t>(clamp_round(sv::sigmoid(s.opacity_logits[i]) * 255.0));
  for (size_t i = 0; i < 3 * n; ++i) w.put<uint8_t>(clamp_round(s.sh_dc[i] * (kColorScale * 255.0) + 127.5));
  for (size_t i = 0; i < 3 * n; ++i) w.put<uint8_t>(clamp_round((s.log_scales[i] + 10.0) * 16.0));
  for (size_t i = 0; i < n; ++i) w.put<uint32_t>(pack_smallest_three(&s.quats[4 * i]));
  for (size_t i = 0; i < n; ++i)
    for (int k = 0; k < rest; ++k)  // ours: [n][k][c], SPZ's order too
      for (int c = 0; c < 3; ++c)
        w.put<uint8_t>(quantize_sh(s.sh_rest[(i * size_t(rest) + size_t(k)) * 3 + size_t(c)], k < 3 ? bucket1 : bucket_rest));
  return gzip_compress(w.bytes());
}

SplatData parse_spz(const std::string& bytes, const std::string& name) {
  if (bytes.size() >= 4 && bytes.compare(0, 4, "NGSP") == 0) return parse_spz_v4(bytes, name);
  const std::string data = gzip_decompress(bytes, name);
  ByteReader r(data, name);
  const uint32_t magic = r.get<uint32_t>(), version = r.get<uint32_t>(), count = r.get<uint32_t>();
  const int degree = r.byte(), bits = r.byte(), flags = r.byte();
  r.byte();
  const SpzHeader h = check_header(magic, version, count, degree, bits, name);
  if (h.version == 4) throw InputError(name, "SPZ version 4 inside gzip is not a known layout");
  if (flags & 2) throw InputError(name, "SPZ extensions are not supported");
  SplatData s;
  decode_blocks(data, 16, h, name, s);
  return s;
}

}  // namespace ttgs::io
