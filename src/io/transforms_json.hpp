#pragma once
// nerfstudio and instant-ngp / Blender transforms.json. Poses are camera-to-world in OpenGL axes.
#include <string>
#include <vector>

#include "io/dataset.hpp"

namespace ttgs::io {

// Parses the JSON text; `json_path` names the file in errors and anchors relative paths. Frames whose image is
// missing are listed in `missing` (the caller warns). Checks no pixel data.
DatasetSource parse_transforms_json(const std::string& text, const std::string& json_path);
DatasetSource read_transforms_json(const std::string& json_path);

// A 4x4 matrix as rows, the form transforms.json stores `transform_matrix` in (converts to JSON as is).
std::vector<std::vector<double>> matrix_rows(const Mat4& m);

}  // namespace ttgs::io
