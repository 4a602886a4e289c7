#pragma once
// NumPy .npz archives (a zip of .npy files, stored or deflate-compressed, as np.savez / np.savez_compressed write
// them) and the plain numeric arrays inside: the point-cloud format of TRI's DGP datasets.
#include <algorithm>
#include <string>
#include <vector>

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

// One array of a .npz file; InputError naming the path when it is not there or unreadable.
NpyArray read_npz_array(const std::string& path, const std::string& key);

}  // namespace ttgs::io
