#pragma once
// PLY files: the standard INRIA 3DGS layout (read and write, binary little-endian; read also ASCII and big-endian,
// properties in any order, unknown properties ignored, SH degree from the count of f_rest_*), and plain point
// clouds (x y z with optional red/green/blue as uchar or float) for initialization.
#include <cstdint>
#include <string>
#include <vector>

#include "core/splat_data.hpp"

namespace ttgs::io {

enum class PlyFormat { Ascii, BinaryLittleEndian, BinaryBigEndian };
enum class PlyScalar { Int8, UInt8, Int16, UInt16, Int32, UInt32, Float32, Float64 };

struct PlyProperty {
  std::string name;
  PlyScalar type = PlyScalar::Float32;
  bool is_list = false;
  PlyScalar count_type = PlyScalar::UInt8;
};

struct PlyElement {
  std::string name;
  uint64_t count = 0;
  std::vector<PlyProperty> properties;
};

struct PlyHeader {
  PlyFormat format = PlyFormat::BinaryLittleEndian;
  std::vector<PlyElement> elements;
  size_t data_offset = 0;  // first byte after "end_header\n"
};

// The scalar properties of the "vertex" element, one float column each (list properties are skipped).
struct PlyVertexTable {
  size_t count = 0;
  std::vector<std::string> names;
  std::vector<PlyScalar> types;  // the stored type of each column
  std::vector<std::vector<float>> columns;
  const std::vector<float>* find(const std::string& name) const;
};

PlyHeader parse_ply_header(const std::string& bytes, const std::string& name);
size_t ply_scalar_size(PlyScalar type);
double read_ply_scalar_le(const char* at, PlyScalar type);  // one binary little-endian value
PlyVertexTable parse_ply_vertices(const std::string& bytes, const std::string& name);
bool is_splat_ply(const PlyVertexTable& table);

// From an already parsed vertex table (parse a file once, then decide what it is).
SplatData splat_data_from_table(const PlyVertexTable& table, const std::string& name);
PointCloud point_cloud_from_table(const PlyVertexTable& table, const std::string& name);

SplatData parse_splat_ply(const std::string& bytes, const std::string& name);
SplatData read_splat_ply(const std::string& path);
PointCloud parse_point_cloud_ply(const std::string& bytes, const std::string& name);
PointCloud read_point_cloud_ply(const std::string& path);

std::string encode_splat_ply(const SplatData& splats);        // INRIA layout, binary little-endian
void write_splat_ply(const std::string& path, const SplatData& splats);  // atomic
std::string encode_point_cloud_ply(const PointCloud& points);  // x y z [red green blue uchar]
void write_point_cloud_ply(const std::string& path, const PointCloud& points);

}  // namespace ttgs::io
