#pragma once
// NumPy .npz archives (a zip of .npy files, stored or deflate-compressed, as np.savez / np.savez_compressed write
// them) and the plain numeric arrays inside: the point-cloud format of TRI's DGP datasets.
#include <string>

#include "io/npy.hpp"

namespace ttgs::io {

// One array of a .npz file; InputError naming the path when it is not there or unreadable.
NpyArray read_npz_array(const std::string& path, const std::string& key);

}  // namespace ttgs::io
