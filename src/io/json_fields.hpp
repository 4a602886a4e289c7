#pragma once
// Reading typed fields of the JSON formats io/ parses, with InputErrors that name the file and the place.
#include <nlohmann/json.hpp>
#include <string>

#include "core/math.hpp"

namespace ttgs::io {

// A 4x4 matrix of finite numbers given as rows (`where` prefixes the message, e.g. "actor 2: ").
Mat4 matrix4_field(const nlohmann::json& object, const char* key, const std::string& where, const std::string& path);

}  // namespace ttgs::io
