#pragma once
// NumPy .npy arrays (version 1.0-3.0, C order) of 2-D shape (H, W) or (H, W, 1), dtypes float32/float64/uint16/uint8,
// little- or big-endian: the depth-map format of nerfstudio-style datasets.
#include <string>

#include "core/image.hpp"

namespace ttgs::io {

Image read_npy_image(const std::string& path);
Image parse_npy_image(const std::string& bytes, const std::string& name);
void write_npy_float32(const std::string& path, const Image& img);  // single channel, atomic

}  // namespace ttgs::io
