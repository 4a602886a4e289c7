#pragma once
// NumPy .npy arrays (version 1.0-3.0, C order, little- or big-endian): any numeric array (LiDAR tables inside DGP's
// .npz), and 2-D images (H, W) or (H, W, 1), the depth-map format of nerfstudio-style datasets.
#include <algorithm>
#include <string>
#include <vector>

#include "core/image.hpp"

namespace ttgs::io {

// A C-ordered numeric array (any number of dimensions), its values widened to double.
struct NpyArray {
  std::vector<size_t> shape;
  std::vector<double> values;
  size_t rows() const { return shape.empty() ? 1 : shape[0]; }
  size_t columns() const { return shape.size() < 2 ? 1 : values.size() / std::max<size_t>(rows(), 1); }
};

// Parses one .npy file (version 1.0-3.0; dtypes float32/64, signed and unsigned integers of 1-8 bytes, bool; little-
// or big-endian). Structured dtypes and Fortran order are InputErrors naming `name`.
NpyArray parse_npy_array(const std::string& bytes, const std::string& name);


Image read_npy_image(const std::string& path);
Image parse_npy_image(const std::string& bytes, const std::string& name);
void write_npy_float32(const std::string& path, const Image& img);  // single channel, atomic

}  // namespace ttgs::io
