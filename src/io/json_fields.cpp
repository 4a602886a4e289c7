#include "io/json_fields.hpp"

#include <cmath>

#include "core/error.hpp"

namespace ttgs::io {

Mat4 matrix4_field(const nlohmann::json& j, const char* key, const std::string& where, const std::string& path) {
  const std::string name = std::string("'") + key + "'";
  if (!j.is_object() || !j.contains(key)) throw InputError(path, where + "missing " + name);
  const nlohmann::json& rows = j.at(key);
  if (!rows.is_array() || rows.size() != 4) throw InputError(path, where + name + " must be a 4x4 matrix");
  Mat4 m{};
  for (size_t r = 0; r < 4; ++r) {
    if (!rows[r].is_array() || rows[r].size() != 4) throw InputError(path, where + name + " must be a 4x4 matrix");
    for (size_t c = 0; c < 4; ++c) {
      if (!rows[r][c].is_number()) throw InputError(path, where + name + " holds a non-number");
      m[r][c] = rows[r][c].get<double>();
      if (!std::isfinite(m[r][c])) throw InputError(path, where + name + " holds NaN or infinity");
    }
  }
  return m;
}

}  // namespace ttgs::io
