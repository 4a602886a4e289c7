#pragma once
// Helpers shared by the tests: temporary folders, small files, the shared data folder.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "core/camera.hpp"
#include "core/image.hpp"
#include "io/image_io.hpp"

namespace ttgs::test {

// A pinhole camera of width x height pixels, focal length `focal` (pixels), principal point at the image centre,
// at `eye` looking at `target`.
inline Camera pinhole_looking_at(int width, int height, double focal, const Vec3& eye, const Vec3& target,
                                 const Vec3& up) {
  Camera c;
  c.width = width;
  c.height = height;
  c.fx = c.fy = focal;
  c.cx = width / 2.0;
  c.cy = height / 2.0;
  c.look_at(eye, target, up);
  return c;
}

inline std::string shared_data(const std::string& rel) { return std::string(TTGS_SHARED_DATA) + "/" + rel; }

// Skips the calling test with a clear message when the shared real data is not there.
#define TTGS_REQUIRE_SHARED(rel)                                                                      \
  do {                                                                                                \
    if (!std::filesystem::exists(::ttgs::test::shared_data(rel)))                                     \
      GTEST_SKIP() << "shared data missing: " << ::ttgs::test::shared_data(rel) << " (see README)"; \
  } while (0)

// A fresh temporary folder, removed when the object goes away.
class TempDir {
 public:
  TempDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "ttgs-test-XXXXXX").string();
    path_ = mkdtemp(templ.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& rel) const { return path_ + "/" + rel; }

 private:
  std::string path_;
};

inline void write_text(const std::string& path, const std::string& text) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

// io::write_png, creating the parent folders first.
inline void write_png(const std::string& path, const Image& img) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  io::write_png(path, img);
}

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A nerfstudio dataset in `dir`: `n` photos f<i>.png of width x height pseudo-random pixels, camera i at x = i looking
// down -z; `top` adds top-level fields (the intrinsics: "fl_x": .., "cx": ..), `frame_extra(i)` fields to frame i.
inline void write_random_frames(const std::string& dir, int n, int width, int height, const std::string& top,
                                const std::function<std::string(int)>& frame_extra) {
  std::string frames;
  uint32_t state = 7;
  for (int i = 0; i < n; ++i) {
    Image img(width, height, 3);
    for (float& v : img.data) v = float((state = state * 1664525u + 1013904223u) >> 8) / float(1 << 24);
    write_png(dir + "/f" + std::to_string(i) + ".png", img);
    frames += std::string(i ? "," : "") + "{\"file_path\": \"f" + std::to_string(i) + ".png\"" + frame_extra(i) +
              ", \"transform_matrix\": [[1,0,0," + std::to_string(i) + "],[0,1,0,0],[0,0,1,0],[0,0,0,1]]}";
  }
  write_text(dir + "/transforms.json", "{\"w\": " + std::to_string(width) + ", \"h\": " + std::to_string(height) +
                                           ", " + top + ", \"frames\": [" + frames + "]}");
}

}  // namespace ttgs::test
