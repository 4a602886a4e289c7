#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.hpp"
#include "io/file_util.hpp"
#include "io/ply.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

SplatData random_splats(size_t n, int degree, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  SplatData s;
  s.resize(n, degree);
  for (auto* v : {&s.means, &s.log_scales, &s.quats, &s.opacity_logits, &s.sh_dc, &s.sh_rest})
    for (float& x : *v) x = g(rng);
  return s;
}

bool bit_equal(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

void expect_bit_equal(const SplatData& a, const SplatData& b) {
  ASSERT_EQ(a.count, b.count);
  ASSERT_EQ(a.sh_degree, b.sh_degree);
  EXPECT_TRUE(bit_equal(a.means, b.means));
  EXPECT_TRUE(bit_equal(a.log_scales, b.log_scales));
  EXPECT_TRUE(bit_equal(a.quats, b.quats));
  EXPECT_TRUE(bit_equal(a.opacity_logits, b.opacity_logits));
  EXPECT_TRUE(bit_equal(a.sh_dc, b.sh_dc));
  EXPECT_TRUE(bit_equal(a.sh_rest, b.sh_rest));
}

// Writes the splats as ASCII or big-endian PLY with the properties in a shuffled order and an extra unknown one.
std::string encode_unusual(const SplatData& s, bool ascii, unsigned seed) {
  const int K = sh_rest_count(s.sh_degree);
  struct Col {
    std::string name;
    std::function<float(size_t)> get;
  };
  std::vector<Col> cols;
  for (int a = 0; a < 3; ++a) {
    cols.push_back({std::string(1, "xyz"[a]), [&, a](size_t i) { return s.means[i * 3 + a]; }});
    cols.push_back({"scale_" + std::to_string(a), [&, a](size_t i) { return s.log_scales[i * 3 + a]; }});
    cols.push_back({"f_dc_" + std::to_string(a), [&, a](size_t i) { return s.sh_dc[i * 3 + a]; }});
  }
  for (int a = 0; a < 4; ++a) cols.push_back({"rot_" + std::to_string(a), [&, a](size_t i) { return s.quats[i * 4 + a]; }});
  cols.push_back({"opacity", [&](size_t i) { return s.opacity_logits[i]; }});
  for (int c = 0; c < 3; ++c)
    for (int k = 0; k < K; ++k)
      cols.push_back({"f_rest_" + std::to_string(c * K + k), [&, c, k, K](size_t i) { return s.sh_rest[(i * K + k) * 3 + c]; }});
  cols.push_back({"confidence", [](size_t i) { return float(i); }});
  std::shuffle(cols.begin(), cols.end(), std::mt19937(seed));
  std::string out = std::string("ply\nformat ") + (ascii ? "ascii" : "binary_big_endian") +
                    " 1.0\ncomment test\nelement vertex " + std::to_string(s.count) + "\n";
  for (const auto& c : cols) out += "property float " + c.name + "\n";
  out += "element face 1\nproperty list uchar int vertex_indices\nend_header\n";
  for (size_t i = 0; i < s.count; ++i) {
    for (const auto& c : cols) {
      const float v = c.get(i);
      if (ascii) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.9g ", double(v));
        out += buf;
      } else {
        char b[4];
        std::memcpy(b, &v, 4);
        std::reverse(b, b + 4);
        out.append(b, 4);
      }
    }
    if (ascii) out += "\n";
  }
  if (ascii) out += "3 0 1 2\n";
  else out += std::string("\x03\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02", 13);
  return out;
}

TEST(Ply, RealTrainedSceneReadsAndRewritesBitExact) {
  TTGS_REQUIRE_SHARED("splats/plush_dog.ply");
  const std::string path = test::shared_data("splats/plush_dog.ply");
  const SplatData s = io::read_splat_ply(path);
  EXPECT_EQ(s.count, 15105u);
  EXPECT_EQ(s.sh_degree, 3);
  EXPECT_EQ(s.sh_rest.size(), 15105u * 15 * 3);
  test::TempDir dir;
  io::write_splat_ply(dir / "out.ply", s);
  const SplatData back = io::read_splat_ply(dir / "out.ply");
  expect_bit_equal(s, back);
  // The original file is the INRIA layout with zero normals: our bytes equal its bytes.
  EXPECT_EQ(io::read_file(dir / "out.ply").substr(io::read_file(dir / "out.ply").find("end_header")),
            io::read_file(path).substr(io::read_file(path).find("end_header")));
}

TEST(Ply, AsciiAndBigEndianWithShuffledPropertiesMatchBinary) {
  for (int degree = 0; degree <= 3; ++degree) {
    const SplatData s = random_splats(37, degree, 10 + degree);
    expect_bit_equal(io::parse_splat_ply(io::encode_splat_ply(s), "le.ply"), s);
    expect_bit_equal(io::parse_splat_ply(encode_unusual(s, true, degree), "ascii.ply"), s);
    expect_bit_equal(io::parse_splat_ply(encode_unusual(s, false, degree), "be.ply"), s);
  }
}

TEST(Ply, PointCloudsWithUcharFloatOrNoColours) {
  const std::string uchar_ply =
      "ply\nformat ascii 1.0\nelement vertex 2\nproperty double x\nproperty double y\nproperty double z\n"
      "property uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n0 1 2 255 0 51\n3 4 5 0 255 102\n";
  const PointCloud a = io::parse_point_cloud_ply(uchar_ply, "a.ply");
  ASSERT_EQ(a.size(), 2u);
  EXPECT_FLOAT_EQ(a.positions[4], 4.f);
  EXPECT_FLOAT_EQ(a.colors[0], 1.f);
  EXPECT_FLOAT_EQ(a.colors[2], 0.2f);
  const std::string float_ply =
      "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\n"
      "property float red\nproperty float green\nproperty float blue\nend_header\n0 1 2 0.5 0.25 1\n";
  EXPECT_FLOAT_EQ(io::parse_point_cloud_ply(float_ply, "b.ply").colors[1], 0.25f);
  const std::string bare = "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 2 3\n";
  EXPECT_FALSE(io::parse_point_cloud_ply(bare, "c.ply").has_colors());
  PointCloud pc = a;
  const PointCloud back = io::parse_point_cloud_ply(io::encode_point_cloud_ply(pc), "d.ply");
  EXPECT_EQ(back.positions, pc.positions);
}

TEST(Ply, RealPointCloud) {
  TTGS_REQUIRE_SHARED("fox/points3D.ply");
  const PointCloud pc = io::read_point_cloud_ply(test::shared_data("fox/points3D.ply"));
  EXPECT_EQ(pc.size(), 12224u);
  EXPECT_TRUE(pc.has_colors());
  for (float c : pc.colors) ASSERT_TRUE(c >= 0.f && c <= 1.f);
}

TEST(Ply, MalformedFilesThrowInputError) {
  const std::string good = io::encode_splat_ply(random_splats(4, 1, 3));
  std::vector<std::pair<std::string, std::string>> cases = {
      {"truncated", good.substr(0, good.size() - 7)},
      {"not ply", "plx\n" + good.substr(4)},
      {"no end_header", good.substr(0, good.find("end_header"))},
      {"bad type", "ply\nformat ascii 1.0\nelement vertex 1\nproperty flot x\nend_header\n1\n"},
      {"bad format", "ply\nformat binary_middle_endian 1.0\nelement vertex 0\nend_header\n"},
      {"huge count", "ply\nformat binary_little_endian 1.0\nelement vertex 99999999999\nproperty float x\nend_header\n"},
      {"negative count", "ply\nformat ascii 1.0\nelement vertex -1\nproperty float x\nend_header\n"},
      {"ascii junk", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 abc 3\n"},
      {"no vertex", "ply\nformat ascii 1.0\nelement face 0\nproperty list uchar int vertex_indices\nend_header\n"},
      {"property first", "ply\nformat ascii 1.0\nproperty float x\nend_header\n"},
  };
  for (const auto& [name, bytes] : cases) {
    EXPECT_THROW(io::parse_splat_ply(bytes, name), InputError) << name;
    EXPECT_THROW(io::parse_point_cloud_ply(bytes, name), InputError) << name;
  }
  // NaN, infinity, a zero quaternion, an SH count that fits no degree, a point cloud passed as splats.
  SplatData s = random_splats(3, 0, 5);
  s.means[4] = NAN;
  EXPECT_THROW(io::parse_splat_ply(io::encode_splat_ply(s), "nan.ply"), InputError);
  s = random_splats(3, 0, 5);
  s.opacity_logits[1] = INFINITY;
  EXPECT_THROW(io::parse_splat_ply(io::encode_splat_ply(s), "inf.ply"), InputError);
  s = random_splats(3, 0, 5);
  std::fill(s.quats.begin() + 4, s.quats.begin() + 8, 0.f);
  EXPECT_THROW(io::parse_splat_ply(io::encode_splat_ply(s), "zeroq.ply"), InputError);
  std::string odd = io::encode_splat_ply(random_splats(2, 1, 6));
  odd.replace(odd.find("property float f_rest_8\n"), 24, "property float f_rest_x\n");
  EXPECT_THROW(io::parse_splat_ply(odd, "sh.ply"), InputError);
  try {
    io::parse_splat_ply(io::encode_point_cloud_ply(PointCloud{{1, 2, 3}, {}}), "pc.ply");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("point cloud"), std::string::npos);
  }
}

// A writer killed at a random moment leaves the previous complete file or the new complete one, never a torn one.
TEST(Ply, KilledWriterLeavesACompleteFile) {
  test::TempDir dir;
  const SplatData a = random_splats(60000, 1, 1), b = random_splats(50000, 1, 2);
  const std::string path = dir / "scene.ply";
  io::write_splat_ply(path, a);
  std::mt19937 rng(5);
  int saw_b = 0;
  for (int round = 0; round < 12; ++round) {
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {  // the writer: alternates the two models until killed
      for (int k = 0;; ++k) io::write_splat_ply(path, k % 2 ? a : b);
    }
    // Wait until the writer has replaced the file once (a rename gives it a new inode; slow under sanitizers),
    // then kill it at a random moment of a later write.
    const auto inode = [&] {
      struct stat st {};
      return stat(path.c_str(), &st) == 0 ? st.st_ino : ino_t(0);
    };
    const ino_t before = inode();
    for (int waited = 0; inode() == before && waited < 20000; ++waited)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 30));
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    const SplatData back = io::read_splat_ply(path);
    if (back.count == b.count) {
      expect_bit_equal(back, b);
      ++saw_b;
    } else {
      expect_bit_equal(back, a);
    }
  }
  EXPECT_GT(saw_b, 0);  // both models were seen: the file was replaced while the test watched
}

}  // namespace
}  // namespace ttgs
