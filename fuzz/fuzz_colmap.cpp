// Fuzzes the COLMAP readers: the first byte picks the parser (binary or text cameras, images, points3D).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.hpp"
#include "io/colmap.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (data[0] % 6) {
      case 0: ttgs::io::parse_cameras_bin(bytes, "cameras.bin"); break;
      case 1: ttgs::io::parse_images_bin(bytes, "images.bin"); break;
      case 2: ttgs::io::parse_points3d_bin(bytes, "points3D.bin"); break;
      case 3: {
        const auto cams = ttgs::io::parse_cameras_txt(bytes, "cameras.txt");
        for (const auto& [id, c] : cams) {
          double f[4];
          ttgs::Distortion d;
          ttgs::io::colmap_intrinsics(c, "cameras.txt", f[0], f[1], f[2], f[3], d);
        }
        break;
      }
      case 4: ttgs::io::parse_images_txt(bytes, "images.txt"); break;
      default: ttgs::io::parse_points3d_txt(bytes, "points3D.txt"); break;
    }
  } catch (const ttgs::InputError&) {
  }
  return 0;
}
