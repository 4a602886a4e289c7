// The compact splat formats against their specs: known bit patterns (checked against splat-transform 3.7.0, the
// real client), round trips within each format's quantization, and clear errors on damaged files.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "core/error.hpp"
#include "io/file_util.hpp"
#include "io/gzip.hpp"
#include "io/splat_formats.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

constexpr double kC0 = 0.28209479177387814;
double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

// Gaussians in ranges every format can hold: positions within a few metres, log-scales in [-8, 1], DC colours in
// [0, 1], SH rest in [-0.5, 0.5].
SplatData plausible_splats(size_t n, int degree, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0, 1);
  std::normal_distribution<float> g;
  SplatData s;
  s.resize(n, degree);
  for (float& x : s.means) x = 6 * u(rng) - 3;
  for (float& x : s.log_scales) x = -8 + 9 * u(rng);
  for (float& x : s.quats) x = g(rng);
  for (float& x : s.opacity_logits) x = 6 * u(rng) - 3;
  for (float& x : s.sh_dc) x = float((u(rng) - 0.5) / kC0);
  for (float& x : s.sh_rest) x = u(rng) - 0.5f;
  return s;
}

std::array<double, 4> unit(const float* q) {
  const double n = std::sqrt(double(q[0]) * q[0] + double(q[1]) * q[1] + double(q[2]) * q[2] + double(q[3]) * q[3]);
  return {q[0] / n, q[1] / n, q[2] / n, q[3] / n};
}

// For formats that reorder: index in `b` of each Gaussian of `a` (nearest centre).
std::vector<size_t> match(const SplatData& a, const SplatData& b) {
  std::vector<size_t> m(a.count);
  for (size_t i = 0; i < a.count; ++i) {
    double best = INFINITY;
    for (size_t j = 0; j < b.count; ++j) {
      double d = 0;
      for (int k = 0; k < 3; ++k) d += std::pow(double(a.means[3 * i + k]) - b.means[3 * j + k], 2);
      if (d < best) best = d, m[i] = j;
    }
  }
  return m;
}

struct Tolerances {
  double position, log_scale, opacity, color, rotation_dot, sh;
  bool has_sh = true;
};

void expect_close(const SplatData& a, const SplatData& b, const Tolerances& t, bool reordered) {
  ASSERT_EQ(a.count, b.count);
  const std::vector<size_t> m = reordered ? match(a, b) : [&] {
    std::vector<size_t> id(a.count);
    for (size_t i = 0; i < a.count; ++i) id[i] = i;
    return id;
  }();
  double position = 0, log_scale = 0, opacity = 0, color = 0, dot = 1, sh = 0;
  const int rest = sh_rest_count(a.sh_degree);
  for (size_t i = 0; i < a.count; ++i) {
    const size_t j = m[i];
    for (int k = 0; k < 3; ++k) {
      position = std::max(position, std::abs(double(a.means[3 * i + k]) - b.means[3 * j + k]));
      log_scale = std::max(log_scale, std::abs(double(a.log_scales[3 * i + k]) - b.log_scales[3 * j + k]));
      color = std::max(color, kC0 * std::abs(double(a.sh_dc[3 * i + k]) - b.sh_dc[3 * j + k]));
    }
    opacity = std::max(opacity, std::abs(sigmoid(a.opacity_logits[i]) - sigmoid(b.opacity_logits[j])));
    const auto qa = unit(&a.quats[4 * i]), qb = unit(&b.quats[4 * j]);
    dot = std::min(dot, std::abs(qa[0] * qb[0] + qa[1] * qb[1] + qa[2] * qb[2] + qa[3] * qb[3]));
    if (t.has_sh)
      for (int k = 0; k < 3 * rest; ++k)
        sh = std::max(sh, std::abs(double(a.sh_rest[i * size_t(3 * rest) + size_t(k)]) - b.sh_rest[j * size_t(3 * rest) + size_t(k)]));
  }
  EXPECT_LE(position, t.position);
  EXPECT_LE(log_scale, t.log_scale);
  EXPECT_LE(opacity, t.opacity);
  EXPECT_LE(color, t.color);
  EXPECT_GE(dot, t.rotation_dot);
  if (t.has_sh) {
    EXPECT_EQ(b.sh_degree, a.sh_degree);
    EXPECT_LE(sh, t.sh);
  } else {
    EXPECT_EQ(b.sh_degree, 0);
  }
}

uint32_t u32_at(const std::string& bytes, size_t offset) {
  uint32_t v;
  std::memcpy(&v, bytes.data() + offset, 4);
  return v;
}

SplatData one_with_rotation(float w, float x, float y, float z) {
  SplatData s = plausible_splats(1, 0, 1);
  s.quats = {w, x, y, z};
  return s;
}

TEST(SplatFormats, NamesSayTheFormat) {
  EXPECT_EQ(io::splat_file_format("a/b.COMPRESSED.PLY"), io::SplatFileFormat::CompressedPly);
  EXPECT_EQ(io::splat_file_format("x.ply"), io::SplatFileFormat::Ply);
  EXPECT_EQ(io::splat_file_format("x.spz"), io::SplatFileFormat::Spz);
  EXPECT_EQ(io::splat_file_format("x.splat"), io::SplatFileFormat::Splat);
  EXPECT_EQ(io::splat_file_format("x.glb"), io::SplatFileFormat::Glb);
  EXPECT_FALSE(io::splat_file_format("x.gltf").has_value());
}

TEST(SplatFormats, SpzRotationsUseSmallestThreeAsTheReferenceWriterDoes) {
  // Header 16 bytes, then per Gaussian: position 9, alpha 1, colour 3, scale 3, rotation 4 (u32).
  const auto rotation_word = [](const SplatData& s) { return u32_at(io::gzip_decompress(io::encode_spz(s), "t"), 32); };
  EXPECT_EQ(rotation_word(one_with_rotation(1, 0, 0, 0)), 0xC0000000u);            // identity: w largest (index 3)
  EXPECT_EQ(rotation_word(one_with_rotation(0.5f, 0.5f, 0.5f, 0.5f)), 0x1695A569u);  // splat-transform's bytes
  const std::string raw = io::gzip_decompress(io::encode_spz(one_with_rotation(1, 0, 0, 0)), "t");
  EXPECT_EQ(u32_at(raw, 0), 0x5053474Eu);  // NGSP
  EXPECT_EQ(u32_at(raw, 4), 3u);
  EXPECT_EQ(u32_at(raw, 8), 1u);
  EXPECT_EQ(raw[13], 12);  // fractional bits
  EXPECT_EQ(raw[14], 0);   // no flags: splat-transform's reader does not skip extensions
  io::SpzOptions antialiased;
  antialiased.antialiased = true;
  EXPECT_EQ(io::gzip_decompress(io::encode_spz(one_with_rotation(1, 0, 0, 0), antialiased), "t")[14], 1);
}

TEST(SplatFormats, CompressedPlyRotationWordMatchesTheReferenceWriter) {
  const std::string bytes = io::encode_compressed_ply(one_with_rotation(0.92828f, 0, 0.20628f, -0.30943f));
  const size_t body = bytes.find("end_header\n") + 11;
  EXPECT_EQ(u32_at(bytes, body + 72 + 4), 0x200A5520u);  // after one 18-float chunk: packed_position, packed_rotation
  EXPECT_TRUE(io::is_compressed_ply(bytes));
}

TEST(SplatFormats, EachFormatRoundTripsWithinItsQuantization) {
  for (int degree : {0, 1, 3}) {
    SCOPED_TRACE("SH degree " + std::to_string(degree));
    const SplatData s = plausible_splats(700, degree, 7 + unsigned(degree));  // 3 chunks of the compressed PLY
    // SPZ: 2^-13 position, 1/32 log-scale, half an 8-bit alpha step, DC steps of 1/38.25, SH steps of 2^(8-bits)/128.
    expect_close(s, io::parse_spz(io::encode_spz(s), "t.spz"),
                 {1.3e-4, 1 / 32.0 + 1e-6, 0.5 / 255 + 1e-6, kC0 * 0.5 / 38.25 + 1e-6, 0.9999, 4 / 128.0 + 1e-6}, false);
    expect_close(s, io::parse_spz(io::encode_spz(s, {8, 8}), "t.spz"),
                 {1.3e-4, 1 / 32.0 + 1e-6, 0.5 / 255 + 1e-6, kC0 * 0.5 / 38.25 + 1e-6, 0.9999, 0.5 / 128 + 1e-6}, false);
    // Compressed PLY: half a step of 11/10 bits over a chunk (a cube of 6 m at most: 6 / 1023 / 2), colour over
    // its chunk range (<= 1) in 8 bits, SH in 8 bits over [-4, 4).
    expect_close(s, io::parse_compressed_ply(io::encode_compressed_ply(s), "t.compressed.ply"),
                 {6.0 / 1023 / 2 + 1e-5, 9.0 / 1023 / 2 + 1e-5, 0.5 / 255 + 1e-6, 0.5 / 255 + 1e-6, 0.9999, 8.0 / 256},
                 true);
    // .splat: float positions and scales, 8-bit colour, opacity and rotation, no SH.
    Tolerances splat{1e-7, 1e-5, 0.5 / 255 + 1e-6, 0.5 / 255 + 1e-6, 0.999, 0};
    splat.has_sh = false;
    expect_close(s, io::parse_antimatter_splat(io::encode_antimatter_splat(s), "t.splat"), splat, true);
    // glTF: floats throughout (the turn about z is undone exactly); opacity through sigmoid and back.
    expect_close(s, io::parse_glb_splats(io::encode_glb_splats(s), "t.glb"), {1e-6, 1e-5, 1e-6, 1e-6, 0.99999, 1e-6},
                 false);
  }
}

TEST(SplatFormats, SpzKeepsFarPositionsWithFewerFractionalBits) {
  SplatData s = plausible_splats(20, 0, 3);
  s.means[0] = 5000.25f;  // beyond +-2048: 12 fractional bits would wrap around
  s.means[4] = -3000.5f;
  const std::string raw = io::gzip_decompress(io::encode_spz(s), "t");
  EXPECT_LT(raw[13], 12);
  const SplatData back = io::parse_spz(io::encode_spz(s), "t.spz");
  EXPECT_NEAR(back.means[0], 5000.25, 1e-3);
  EXPECT_NEAR(back.means[4], -3000.5, 1e-3);
}

TEST(SplatFormats, GlbIsAValidContainerInGltfAxes) {
  SplatData s = plausible_splats(5, 1, 2);
  const std::string glb = io::encode_glb_splats(s);
  EXPECT_EQ(u32_at(glb, 0), 0x46546C67u);
  EXPECT_EQ(u32_at(glb, 8), glb.size());
  const uint32_t json_length = u32_at(glb, 12);
  EXPECT_EQ(json_length % 4, 0u);
  EXPECT_EQ(u32_at(glb, 16), 0x4E4F534Au);
  const std::string json = glb.substr(20, json_length);
  for (const char* key : {"\"KHR_gaussian_splatting:SCALE\"", "\"KHR_gaussian_splatting:SH_DEGREE_1_COEF_2\"",
                          "\"extensionsUsed\":[\"KHR_gaussian_splatting\"]", "\"mode\":0", "\"kernel\":\"ellipse\""})
    EXPECT_NE(json.find(key), std::string::npos) << key;
  EXPECT_EQ(u32_at(glb, 20 + json_length + 4), 0x004E4942u);
  // POSITION is the first buffer view: turned 180 degrees about z.
  float first[3];
  std::memcpy(first, glb.data() + 20 + json_length + 8, 12);
  EXPECT_FLOAT_EQ(first[0], -s.means[0]);
  EXPECT_FLOAT_EQ(first[1], -s.means[1]);
  EXPECT_FLOAT_EQ(first[2], s.means[2]);
}

TEST(SplatFormats, SplatFilesPutTheMostImportantGaussianFirst) {
  SplatData s = plausible_splats(3, 0, 5);
  s.log_scales = {-5, -5, -5, 0, 0, 0, -2, -2, -2};
  s.opacity_logits = {0, 0, 0};
  const std::string bytes = io::encode_antimatter_splat(s);
  ASSERT_EQ(bytes.size(), 96u);
  float x;
  std::memcpy(&x, bytes.data(), 4);
  EXPECT_EQ(x, s.means[3]);  // the largest one
}

TEST(SplatFormats, DamagedFilesAreRefusedByName) {
  const SplatData s = plausible_splats(10, 1, 9);
  const std::string spz = io::encode_spz(s);
  EXPECT_THROW(io::parse_spz(spz.substr(0, spz.size() / 2), "half.spz"), InputError);
  EXPECT_THROW(io::parse_spz("not gzip at all, clearly", "x.spz"), InputError);
  EXPECT_THROW(io::parse_spz(io::gzip_compress(std::string(16, '\0')), "zero.spz"), InputError);
  EXPECT_THROW(io::parse_antimatter_splat(std::string(33, '\0'), "odd.splat"), InputError);
  const std::string glb = io::encode_glb_splats(s);
  EXPECT_THROW(io::parse_glb_splats(glb.substr(0, 40), "cut.glb"), InputError);
  const std::string cply = io::encode_compressed_ply(s);
  EXPECT_THROW(io::parse_compressed_ply(cply.substr(0, cply.size() - 20), "cut.compressed.ply"), InputError);
  std::string v4(32, '\0');  // SPZ v4 header whose table of contents lies beyond the file (found by fuzzing)
  const uint32_t head[4] = {0x5053474E, 4, 1, 0};
  std::memcpy(v4.data(), head, 16);
  v4[15] = 5;                                   // streams
  const uint32_t toc = 4096;
  std::memcpy(v4.data() + 16, &toc, 4);
  EXPECT_THROW(io::parse_spz(v4, "far.spz"), InputError);
  try {
    io::parse_spz(spz.substr(0, 30), "named.spz");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("named.spz"), std::string::npos);
  }
}

TEST(SplatFormats, WriteAndReadByNameAndRefuseUnknownNames) {
  test::TempDir dir;
  const SplatData s = plausible_splats(40, 2, 11);
  for (const char* name : {"a.ply", "a.compressed.ply", "a.splat", "a.spz", "a.glb"}) {
    const std::string path = dir.path() + "/" + name;
    io::write_splats(path, s);
    EXPECT_EQ(io::read_splats(path).count, 40u) << name;
  }
  EXPECT_THROW(io::write_splats(dir.path() + "/a.obj", s), InputError);
  EXPECT_FALSE(io::file_exists(dir.path() + "/a.obj"));
  EXPECT_THROW(io::read_splats(dir.path() + "/missing.spz"), InputError);
}

}  // namespace
}  // namespace ttgs
