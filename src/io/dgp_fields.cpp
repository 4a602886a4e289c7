#include "io/dgp_fields.hpp"

#include <cmath>
#include <cstdlib>
#include <regex>

#include "core/error.hpp"
#include "io/dgp.hpp"
#include "io/file_util.hpp"

namespace ttgs::io {
namespace dgp {
using json = nlohmann::json;

json parse_json_file(const std::string& path) {
  try {
    return json::parse(read_file(path));
  } catch (const json::exception& e) {
    throw InputError(path, std::string("invalid JSON: ") + e.what());
  }
}

double number(const json& j, const char* key, const std::string& where, const std::string& path) {
  if (!j.is_object()) throw InputError(path, where + "expected an object holding '" + key + "'");
  if (!j.contains(key) || j.at(key).is_null()) return 0.0;
  const json& v = j.at(key);
  double d = 0;
  if (v.is_number()) {
    d = v.get<double>();
  } else if (v.is_string()) {
    const std::string s = v.get<std::string>();
    char* end = nullptr;
    d = std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size()) throw InputError(path, where + "'" + key + "' must be a number");
  } else {
    throw InputError(path, where + "'" + key + "' must be a number");
  }
  if (!std::isfinite(d)) throw InputError(path, where + "'" + key + "' is NaN or infinite");
  return d;
}

int64_t integer(const json& j, const char* key, const std::string& where, const std::string& path, int64_t lo,
                int64_t hi) {
  const double d = number(j, key, where, path);
  if (d != std::floor(d) || d < double(lo) || d > double(hi))
    throw InputError(
        path, where + "'" + key + "' must be a whole number in " + std::to_string(lo) + ".." + std::to_string(hi));
  return int64_t(d);
}

std::string text(const json& j, const char* key, const std::string& where, const std::string& path) {
  if (!j.is_object()) throw InputError(path, where + "expected an object holding '" + key + "'");
  if (!j.contains(key) || j.at(key).is_null()) return "";
  if (!j.at(key).is_string()) throw InputError(path, where + "'" + key + "' must be a string");
  return j.at(key).get<std::string>();
}

const json& array_field(const json& j, const char* key, const char* where, const std::string& path) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_array())
    throw InputError(path, std::string(where) + "needs a list '" + key + "'");
  return j.at(key);
}

Pose read_pose(const json& p, const std::string& where, const std::string& path) {
  if (!p.is_object()) throw InputError(path, where + "a pose must be an object");
  const json none = json::object();
  const json& r = p.contains("rotation") ? p.at("rotation") : none;
  const json& t = p.contains("translation") ? p.at("translation") : none;
  const Quat q{number(r, "qw", where, path), number(r, "qx", where, path), number(r, "qy", where, path),
               number(r, "qz", where, path)};
  const double n = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
  if (!(std::abs(n - 1) < 1e-3)) throw InputError(path, where + "the pose's rotation is not a unit quaternion");
  Pose pose;
  pose.rotation = quat_to_rotation(q);
  pose.translation = {number(t, "x", where, path), number(t, "y", where, path), number(t, "z", where, path)};
  return pose;
}

const json& pose_object(const json& value, const std::string& where, const std::string& path) {
  if (!value.is_object() || !value.contains("pose")) throw InputError(path, where + "the datum has no 'pose'");
  return value.at("pose");
}

bool same_pose(const Pose& a, const Pose& b, double tolerance) {
  for (int i = 0; i < 3; ++i) {
    if (std::abs(a.translation[i] - b.translation[i]) > tolerance) return false;
    for (int j = 0; j < 3; ++j)
      if (std::abs(a.rotation[i][j] - b.rotation[i][j]) > tolerance) return false;
  }
  return true;
}

const json* payload(const json& datum, const char* kind) {
  if (!datum.is_object() || !datum.contains("datum") || !datum.at("datum").is_object()) return nullptr;
  const json& d = datum.at("datum");
  return d.contains(kind) && d.at(kind).is_object() ? &d.at(kind) : nullptr;
}

std::string datum_name(const json& datum, const std::string& where, const std::string& path) {
  const std::string name = datum.contains("id") ? text(datum.at("id"), "name", where, path) : "";
  if (name.empty()) throw InputError(path, where + "a datum has no id.name (sensor name)");
  return name;
}

namespace {
// Days from 1970-01-01 to a proleptic Gregorian date (the well-known era / day-of-era decomposition).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}
}  // namespace

Stamp parse_stamp(const std::string& s, const std::string& where, const std::string& path) {
  static const std::regex re(R"(^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$)");
  std::smatch m;
  if (!std::regex_match(s, m, re)) throw InputError(path, where + "timestamp '" + s + "' is not an RFC 3339 time");
  const auto field = [&](int i) { return std::stoll(m[i].str()); };
  const int64_t mon = field(2), day = field(3), h = field(4), mi = field(5), sec = field(6);
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || h > 23 || mi > 59 || sec > 60)
    throw InputError(path, where + "timestamp '" + s + "' is out of range");
  Stamp t;
  t.sec = days_from_civil(field(1), mon, day) * 86400 + h * 3600 + mi * 60 + sec;
  std::string frac = m[7].str();
  frac.resize(9, '0');
  t.nanos = std::stoll(frac);
  const std::string zone = m[8].str();
  if (zone != "Z") {
    const int64_t offset = std::stoll(zone.substr(1, 2)) * 3600 + std::stoll(zone.substr(4, 2)) * 60;
    t.sec -= zone[0] == '+' ? offset : -offset;
  }
  return t;
}

Stamp sample_stamp(const json& sample, const std::string& where, const std::string& path) {
  const std::string ts =
      sample.is_object() && sample.contains("id") ? text(sample.at("id"), "timestamp", where, path) : "";
  if (ts.empty()) throw InputError(path, where + "no id.timestamp");
  return parse_stamp(ts, where, path);
}

}  // namespace dgp

std::map<int, std::string> read_dgp_ontology(const std::string& path) {
  using json = nlohmann::json;
  const json o = dgp::parse_json_file(path);
  std::map<int, std::string> names;
  for (const json& item : dgp::array_field(o, "items", "", path))
    names[int(dgp::integer(item, "id", "ontology item: ", path, INT32_MIN, INT32_MAX))] =
        dgp::text(item, "name", "ontology item: ", path);
  return names;
}

std::vector<DgpBox> read_dgp_boxes(const std::string& path, const std::map<int, std::string>& class_names) {
  using json = nlohmann::json;
  const json doc = dgp::parse_json_file(path);
  if (!doc.is_object()) throw InputError(path, "expected a JSON object at the top level");
  std::vector<DgpBox> boxes;
  if (!doc.contains("annotations")) return boxes;  // proto3 JSON: an empty list is left out
  const json& list = dgp::array_field(doc, "annotations", "", path);
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "box " + std::to_string(i) + ": ";
    const json& a = list[i];
    if (!a.is_object() || !a.contains("box") || !a.at("box").is_object()) throw InputError(path, where + "no 'box'");
    const json& box = a.at("box");
    DgpBox b;
    b.size = {dgp::number(box, "length", where, path), dgp::number(box, "width", where, path),
              dgp::number(box, "height", where, path)};
    if (!(b.size[0] > 0 && b.size[1] > 0 && b.size[2] > 0))
      throw InputError(path, where + "length, width and height must be positive");
    b.box_to_sensor = dgp::read_pose(dgp::pose_object(box, where, path), where, path);
    b.class_id = int(dgp::integer(a, "class_id", where, path, 0, INT32_MAX));
    const auto name = class_names.find(b.class_id);
    b.label = name != class_names.end() ? name->second : "class " + std::to_string(b.class_id);
    const json& id = a.contains("instance_id") ? a.at("instance_id") : json();
    if (id.is_string())
      b.instance_id = id.get<std::string>();
    else if (id.is_number_unsigned())
      b.instance_id = std::to_string(id.get<uint64_t>());
    else if (!id.is_null())
      throw InputError(path, where + "'instance_id' must be an integer");
    b.num_points = int(dgp::integer(a, "num_points", where, path, 0, INT32_MAX));
    boxes.push_back(b);
  }
  return boxes;
}

}  // namespace ttgs::io
