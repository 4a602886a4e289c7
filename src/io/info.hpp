#pragma once
// `ttgs info`: what a dataset or a .ply holds, after validating every file it refers to.
#include <string>

#include "io/dataset.hpp"

namespace ttgs::io {

struct InfoReport {
  std::string json;  // one JSON object
  std::string text;  // the same, for people
};

InfoReport dataset_info(const std::string& path, const LoadOptions& options);
InfoReport ply_info(const std::string& path);  // a 3DGS scene or a plain point cloud
InfoReport info(const std::string& path, const LoadOptions& options);  // picks by extension

}  // namespace ttgs::io
