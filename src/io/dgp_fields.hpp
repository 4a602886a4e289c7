#pragma once
// Reading the protobuf-JSON messages of TRI's DGP format (io/dgp.cpp's helpers), with InputErrors that name the file
// and the place. proto3 JSON leaves out fields equal to their default, so a missing number reads as 0.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/pose.hpp"

namespace ttgs::io::dgp {

nlohmann::json parse_json_file(const std::string& path);
// A number (or a number written as a string, as proto3 JSON writes 64-bit integers); 0 when absent.
double number(const nlohmann::json& j, const char* key, const std::string& where, const std::string& path);
// A whole number within [lo, hi]; 0 when absent.
int64_t integer(const nlohmann::json& j, const char* key, const std::string& where, const std::string& path, int64_t lo,
                int64_t hi);
// A string field; "" when absent.
std::string text(const nlohmann::json& j, const char* key, const std::string& where, const std::string& path);
// An array field; InputError when absent or not an array.
// (`where` is a C string: a reference parameter bound to a temporary would make the result look dangling.)
const nlohmann::json& array_field(const nlohmann::json& j, const char* key, const char* where, const std::string& path);

// A geometry.proto Pose {translation {x y z}, rotation {qw qx qy qz}} as a rigid transform.
Pose read_pose(const nlohmann::json& pose, const std::string& where, const std::string& path);
// The 'pose' member of an image or point cloud datum.
const nlohmann::json& pose_object(const nlohmann::json& datum_value, const std::string& where, const std::string& path);
bool same_pose(const Pose& a, const Pose& b, double tolerance = 1e-6);

// The payload of a datum of the given kind ("image", "point_cloud"), or nullptr when it is of another kind.
const nlohmann::json* payload(const nlohmann::json& datum, const char* kind);
// The sensor name (id.name) of a datum.
std::string datum_name(const nlohmann::json& datum, const std::string& where, const std::string& path);

// A google.protobuf.Timestamp (RFC 3339, e.g. 2019-05-15T00:38:58.203752Z).
struct Stamp {
  int64_t sec = 0;    // since 1970-01-01 UTC
  int64_t nanos = 0;  // 0..999999999
  bool operator<(const Stamp& o) const { return sec < o.sec || (sec == o.sec && nanos < o.nanos); }
};
Stamp parse_stamp(const std::string& text, const std::string& where, const std::string& path);
// The id.timestamp of a sample.
Stamp sample_stamp(const nlohmann::json& sample, const std::string& where, const std::string& path);

}  // namespace ttgs::io::dgp
