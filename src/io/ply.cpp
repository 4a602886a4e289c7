#include "io/ply.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <sstream>

#include "core/error.hpp"
#include "io/file_util.hpp"

namespace ttgs::io {
namespace {

constexpr double kShC0 = 0.28209479177387814;

bool parse_scalar_type(const std::string& s, PlyScalar& out) {
  static const std::pair<const char*, PlyScalar> table[] = {
      {"char", PlyScalar::Int8},     {"int8", PlyScalar::Int8},       {"uchar", PlyScalar::UInt8},
      {"uint8", PlyScalar::UInt8},   {"short", PlyScalar::Int16},     {"int16", PlyScalar::Int16},
      {"ushort", PlyScalar::UInt16}, {"uint16", PlyScalar::UInt16},   {"int", PlyScalar::Int32},
      {"int32", PlyScalar::Int32},   {"uint", PlyScalar::UInt32},     {"uint32", PlyScalar::UInt32},
      {"float", PlyScalar::Float32}, {"float32", PlyScalar::Float32}, {"double", PlyScalar::Float64},
      {"float64", PlyScalar::Float64}};
  for (const auto& [n, t] : table)
    if (s == n) {
      out = t;
      return true;
    }
  return false;
}

size_t scalar_size(PlyScalar t) {
  switch (t) {
    case PlyScalar::Int8: case PlyScalar::UInt8: return 1;
    case PlyScalar::Int16: case PlyScalar::UInt16: return 2;
    case PlyScalar::Int32: case PlyScalar::UInt32: case PlyScalar::Float32: return 4;
    case PlyScalar::Float64: return 8;
  }
  return 4;
}

}  // namespace

size_t ply_scalar_size(PlyScalar type) { return scalar_size(type); }

double read_ply_scalar_le(const char* at, PlyScalar t) {
  switch (t) {
    case PlyScalar::Int8: return double(static_cast<signed char>(at[0]));
    case PlyScalar::UInt8: return double(static_cast<unsigned char>(at[0]));
    case PlyScalar::Int16: { int16_t v; std::memcpy(&v, at, 2); return v; }
    case PlyScalar::UInt16: { uint16_t v; std::memcpy(&v, at, 2); return v; }
    case PlyScalar::Int32: { int32_t v; std::memcpy(&v, at, 4); return v; }
    case PlyScalar::UInt32: { uint32_t v; std::memcpy(&v, at, 4); return v; }
    case PlyScalar::Float32: { float v; std::memcpy(&v, at, 4); return v; }
    case PlyScalar::Float64: { double v; std::memcpy(&v, at, 8); return v; }
  }
  return 0;
}

namespace {

// Sequential reader over the data section, for binary (either endianness) and ASCII.
class DataReader {
 public:
  DataReader(const std::string& bytes, size_t offset, PlyFormat format, const std::string& name)
      : bytes_(bytes), pos_(offset), format_(format), name_(name) {}

  double read(PlyScalar t) {
    if (format_ == PlyFormat::Ascii) return read_ascii();
    const size_t n = scalar_size(t);
    if (bytes_.size() - pos_ < n) throw InputError(name_, "truncated PLY data (file ends early)");
    char b[8];
    std::memcpy(b, bytes_.data() + pos_, n);
    pos_ += n;
    if (format_ == PlyFormat::BinaryBigEndian) std::reverse(b, b + n);
    return read_ply_scalar_le(b, t);
  }
  // Float32 values are returned bit-exactly (no detour through double for binary data).
  float read_float(PlyScalar t) {
    if (t == PlyScalar::Float32 && format_ != PlyFormat::Ascii) {
      if (bytes_.size() - pos_ < 4) throw InputError(name_, "truncated PLY data (file ends early)");
      char b[4];
      std::memcpy(b, bytes_.data() + pos_, 4);
      pos_ += 4;
      if (format_ == PlyFormat::BinaryBigEndian) std::reverse(b, b + 4);
      float v;
      std::memcpy(&v, b, 4);
      return v;
    }
    if (t == PlyScalar::Float32 && format_ == PlyFormat::Ascii) return read_ascii_float();
    return float(read(t));
  }
  size_t remaining() const { return bytes_.size() - pos_; }

 private:
  const char* next_token(const char*& end) {
    const char* p = bytes_.data() + pos_;
    const char* e = bytes_.data() + bytes_.size();
    while (p < e && std::isspace(static_cast<unsigned char>(*p))) ++p;
    if (p == e) throw InputError(name_, "truncated PLY data (fewer ASCII values than the header declares)");
    end = p;
    while (end < e && !std::isspace(static_cast<unsigned char>(*end))) ++end;
    pos_ = size_t(end - bytes_.data());
    return p;
  }
  double read_ascii() {
    const char* end;
    const char* p = next_token(end);
    double v = 0;
    const auto r = std::from_chars(p, end, v);
    if (r.ec != std::errc() || r.ptr != end)
      throw InputError(name_, "bad ASCII PLY value '" + std::string(p, std::min<size_t>(end - p, 32)) + "'");
    return v;
  }
  float read_ascii_float() {
    const char* end;
    const char* p = next_token(end);
    float v = 0;
    const auto r = std::from_chars(p, end, v);
    if (r.ec != std::errc() || r.ptr != end)
      throw InputError(name_, "bad ASCII PLY value '" + std::string(p, std::min<size_t>(end - p, 32)) + "'");
    return v;
  }
  const std::string& bytes_;
  size_t pos_;
  PlyFormat format_;
  const std::string& name_;
};

}  // namespace

const std::vector<float>* PlyVertexTable::find(const std::string& name) const {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == name) return &columns[i];
  return nullptr;
}

PlyHeader parse_ply_header(const std::string& bytes, const std::string& name) {
  if (bytes.compare(0, 4, "ply\n") != 0 && bytes.compare(0, 5, "ply\r\n") != 0)
    throw InputError(name, "not a PLY file (missing 'ply' magic)");
  const size_t end = bytes.find("end_header");
  if (end == std::string::npos) throw InputError(name, "PLY header has no end_header line");
  size_t data = bytes.find('\n', end);
  if (data == std::string::npos) throw InputError(name, "PLY header is not terminated by a newline");
  PlyHeader h;
  h.data_offset = data + 1;
  std::istringstream in(bytes.substr(0, end));
  std::string line;
  bool have_format = false;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream ls(line);
    std::string kw;
    ls >> kw;
    const std::string where = "PLY header line " + std::to_string(line_no) + ": ";
    if (kw.empty() || kw == "ply" || kw == "comment" || kw == "obj_info") continue;
    if (kw == "format") {
      std::string f, v;
      ls >> f >> v;
      if (f == "ascii") h.format = PlyFormat::Ascii;
      else if (f == "binary_little_endian") h.format = PlyFormat::BinaryLittleEndian;
      else if (f == "binary_big_endian") h.format = PlyFormat::BinaryBigEndian;
      else throw InputError(name, where + "unknown format '" + f + "'");
      have_format = true;
    } else if (kw == "element") {
      PlyElement e;
      std::string count;
      ls >> e.name >> count;
      if (e.name.empty() || count.empty() || count[0] == '-' ||
          std::from_chars(count.data(), count.data() + count.size(), e.count).ec != std::errc())
        throw InputError(name, where + "bad element line '" + line + "'");
      h.elements.push_back(e);
    } else if (kw == "property") {
      if (h.elements.empty()) throw InputError(name, where + "property before any element");
      PlyProperty p;
      std::string t;
      ls >> t;
      if (t == "list") {
        std::string ct, it;
        ls >> ct >> it >> p.name;
        p.is_list = true;
        if (!parse_scalar_type(ct, p.count_type) || !parse_scalar_type(it, p.type))
          throw InputError(name, where + "bad list property '" + line + "'");
      } else {
        ls >> p.name;
        if (!parse_scalar_type(t, p.type)) throw InputError(name, where + "unknown property type '" + t + "'");
      }
      if (p.name.empty()) throw InputError(name, where + "property without a name");
      h.elements.back().properties.push_back(p);
    } else {
      throw InputError(name, where + "unknown keyword '" + kw + "'");
    }
  }
  if (!have_format) throw InputError(name, "PLY header has no format line");
  return h;
}

PlyVertexTable parse_ply_vertices(const std::string& bytes, const std::string& name) {
  const PlyHeader h = parse_ply_header(bytes, name);
  DataReader reader(bytes, h.data_offset, h.format, name);
  for (const PlyElement& e : h.elements) {
    // Every value takes at least one byte (binary) or two (ASCII: digit + separator): reject impossible counts
    // before allocating anything.
    size_t min_row = 0;
    for (const auto& p : e.properties) min_row += p.is_list ? scalar_size(p.count_type) : scalar_size(p.type);
    if (h.format == PlyFormat::Ascii) min_row = 2 * e.properties.size();
    if (min_row > 0 && e.count > reader.remaining() / min_row)
      throw InputError(name, "element '" + e.name + "' declares " + std::to_string(e.count) +
                                 " rows but the file is too short for them (truncated?)");
    if (e.properties.empty()) {  // rows without properties occupy no bytes
      if (e.name == "vertex") throw InputError(name, "PLY vertex element has no properties");
      continue;
    }
    if (e.name != "vertex") {
      for (uint64_t r = 0; r < e.count; ++r)
        for (const auto& p : e.properties) {
          if (!p.is_list) {
            reader.read(p.type);
            continue;
          }
          const double n = reader.read(p.count_type);
          if (n < 0 || n > double(reader.remaining())) throw InputError(name, "bad list length in element '" + e.name + "'");
          for (int64_t k = 0; k < int64_t(n); ++k) reader.read(p.type);
        }
      continue;
    }
    PlyVertexTable t;
    t.count = e.count;
    for (const auto& p : e.properties)
      if (!p.is_list) {
        t.names.push_back(p.name);
        t.types.push_back(p.type);
        t.columns.emplace_back();
        t.columns.back().reserve(e.count);
      }
    for (uint64_t r = 0; r < e.count; ++r) {
      size_t col = 0;
      for (const auto& p : e.properties) {
        if (p.is_list) {
          const double n = reader.read(p.count_type);
          if (n < 0 || n > double(reader.remaining())) throw InputError(name, "bad list length in vertex " + std::to_string(r));
          for (int64_t k = 0; k < int64_t(n); ++k) reader.read(p.type);
        } else {
          t.columns[col++].push_back(reader.read_float(p.type));
        }
      }
    }
    return t;
  }
  throw InputError(name, "PLY file has no 'vertex' element");
}

bool is_splat_ply(const PlyVertexTable& t) {
  return t.find("f_dc_0") && t.find("opacity") && t.find("scale_0") && t.find("rot_0");
}

namespace {
const std::vector<float>& require(const PlyVertexTable& t, const std::string& prop, const std::string& name) {
  const auto* c = t.find(prop);
  if (!c) throw InputError(name, "PLY vertex element has no '" + prop + "' property");
  return *c;
}

void check_finite(const std::vector<float>& col, const std::string& prop, const std::string& name) {
  for (size_t i = 0; i < col.size(); ++i)
    if (!std::isfinite(col[i]))
      throw InputError(name, "vertex " + std::to_string(i) + ": property '" + prop + "' is NaN or infinite");
}
}  // namespace

SplatData parse_splat_ply(const std::string& bytes, const std::string& name) {
  return splat_data_from_table(parse_ply_vertices(bytes, name), name);
}

SplatData splat_data_from_table(const PlyVertexTable& t, const std::string& name) {
  if (!is_splat_ply(t))
    throw InputError(name, "not a 3DGS PLY (needs f_dc_0..2, opacity, scale_0..2, rot_0..3; this looks like a plain point cloud)");
  int rest = 0;
  while (t.find("f_rest_" + std::to_string(rest))) ++rest;
  for (const auto& n : t.names) {
    long long idx = -1;
    if (n.rfind("f_rest_", 0) == 0 &&
        std::from_chars(n.data() + 7, n.data() + n.size(), idx).ec == std::errc() && idx >= rest)
      throw InputError(name, "f_rest_* properties are not numbered 0.." + std::to_string(rest - 1) + " (found " + n + ")");
  }
  int degree = -1;
  for (int d = 0; d <= 3; ++d)
    if (3 * sh_rest_count(d) == rest) degree = d;
  if (degree < 0)
    throw InputError(name, std::to_string(rest) + " f_rest_* properties do not match any SH degree 0-3 (expected 0, 9, 24 or 45)");
  SplatData s;
  s.resize(t.count, degree);
  const int K = sh_rest_count(degree);
  auto fill = [&](const std::string& prop, std::vector<float>& dst, int stride, int offset) {
    const auto& col = require(t, prop, name);
    check_finite(col, prop, name);
    for (size_t i = 0; i < t.count; ++i) dst[i * stride + offset] = col[i];
  };
  for (int a = 0; a < 3; ++a) {
    fill(std::string(1, "xyz"[a]), s.means, 3, a);
    fill("scale_" + std::to_string(a), s.log_scales, 3, a);
    fill("f_dc_" + std::to_string(a), s.sh_dc, 3, a);
  }
  for (int a = 0; a < 4; ++a) fill("rot_" + std::to_string(a), s.quats, 4, a);
  fill("opacity", s.opacity_logits, 1, 0);
  // INRIA layout: f_rest_j with j = c * K + k holds coefficient k of colour channel c.
  for (int c = 0; c < 3; ++c)
    for (int k = 0; k < K; ++k) fill("f_rest_" + std::to_string(c * K + k), s.sh_rest, K * 3, k * 3 + c);
  for (size_t i = 0; i < t.count; ++i) {
    const float* q = &s.quats[i * 4];
    if (q[0] == 0 && q[1] == 0 && q[2] == 0 && q[3] == 0)
      throw InputError(name, "vertex " + std::to_string(i) + ": rotation quaternion is zero");
  }
  return s;
}

SplatData read_splat_ply(const std::string& path) { return parse_splat_ply(read_file(path), path); }

PointCloud parse_point_cloud_ply(const std::string& bytes, const std::string& name) {
  return point_cloud_from_table(parse_ply_vertices(bytes, name), name);
}

PointCloud point_cloud_from_table(const PlyVertexTable& t, const std::string& name) {
  PointCloud pc;
  pc.positions.resize(t.count * 3);
  for (int a = 0; a < 3; ++a) {
    const std::string prop(1, "xyz"[a]);
    const auto& col = require(t, prop, name);
    check_finite(col, prop, name);
    for (size_t i = 0; i < t.count; ++i) pc.positions[i * 3 + a] = col[i];
  }
  // Colour: red/green/blue (or diffuse_*), uchar in 0..255 or float in [0, 1]; else the SH DC term of a 3DGS file.
  for (const std::string prefix : {"", "diffuse_"}) {
    const auto* r = t.find(prefix + "red");
    const auto* g = t.find(prefix + "green");
    const auto* b = t.find(prefix + "blue");
    if (!(r && g && b)) continue;
    bool integer = false;
    for (size_t k = 0; k < t.names.size(); ++k)
      if (t.names[k] == prefix + "red") integer = t.types[k] != PlyScalar::Float32 && t.types[k] != PlyScalar::Float64;
    const float scale = integer ? 1.f / 255.f : 1.f;
    pc.colors.resize(t.count * 3);
    const std::vector<float>* cols[3] = {r, g, b};
    for (int c = 0; c < 3; ++c) {
      check_finite(*cols[c], prefix + "red/green/blue", name);
      for (size_t i = 0; i < t.count; ++i) pc.colors[i * 3 + c] = std::clamp((*cols[c])[i] * scale, 0.f, 1.f);
    }
    return pc;
  }
  if (t.find("f_dc_0") && t.find("f_dc_1") && t.find("f_dc_2")) {
    pc.colors.resize(t.count * 3);
    for (int c = 0; c < 3; ++c) {
      const auto& col = *t.find("f_dc_" + std::to_string(c));
      for (size_t i = 0; i < t.count; ++i)
        pc.colors[i * 3 + c] = std::clamp(float(0.5 + kShC0 * col[i]), 0.f, 1.f);
    }
  }
  return pc;
}

PointCloud read_point_cloud_ply(const std::string& path) { return parse_point_cloud_ply(read_file(path), path); }

std::string encode_splat_ply(const SplatData& s) {
  const int K = sh_rest_count(s.sh_degree);
  std::vector<std::string> props = {"x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"};
  for (int j = 0; j < 3 * K; ++j) props.push_back("f_rest_" + std::to_string(j));
  props.push_back("opacity");
  for (int a = 0; a < 3; ++a) props.push_back("scale_" + std::to_string(a));
  for (int a = 0; a < 4; ++a) props.push_back("rot_" + std::to_string(a));
  std::string out = "ply\nformat binary_little_endian 1.0\ncomment written by ttgs\nelement vertex " +
                    std::to_string(s.count) + "\n";
  for (const auto& p : props) out += "property float " + p + "\n";
  out += "end_header\n";
  const size_t header = out.size();
  out.resize(header + s.count * props.size() * 4);
  std::vector<float> row(props.size());
  for (size_t i = 0; i < s.count; ++i) {
    size_t k = 0;
    for (int a = 0; a < 3; ++a) row[k++] = s.means[i * 3 + a];
    for (int a = 0; a < 3; ++a) row[k++] = 0.f;  // normals: unused by 3DGS, written as zeros like INRIA's tool
    for (int a = 0; a < 3; ++a) row[k++] = s.sh_dc[i * 3 + a];
    for (int c = 0; c < 3; ++c)
      for (int j = 0; j < K; ++j) row[k++] = s.sh_rest[(i * K + j) * 3 + c];
    row[k++] = s.opacity_logits[i];
    for (int a = 0; a < 3; ++a) row[k++] = s.log_scales[i * 3 + a];
    for (int a = 0; a < 4; ++a) row[k++] = s.quats[i * 4 + a];
    std::memcpy(&out[header + i * props.size() * 4], row.data(), props.size() * 4);  // host is little-endian
  }
  return out;
}

void write_splat_ply(const std::string& path, const SplatData& s) { write_file_atomic(path, encode_splat_ply(s)); }

std::string encode_point_cloud_ply(const PointCloud& pc) {
  std::string out = "ply\nformat binary_little_endian 1.0\ncomment written by ttgs\nelement vertex " +
                    std::to_string(pc.size()) + "\nproperty float x\nproperty float y\nproperty float z\n";
  if (pc.has_colors()) out += "property uchar red\nproperty uchar green\nproperty uchar blue\n";
  out += "end_header\n";
  for (size_t i = 0; i < pc.size(); ++i) {
    out.append(reinterpret_cast<const char*>(&pc.positions[i * 3]), 12);
    if (pc.has_colors())
      for (int c = 0; c < 3; ++c) out.push_back(char(std::lround(std::clamp(pc.colors[i * 3 + c], 0.f, 1.f) * 255.f)));
  }
  return out;
}

void write_point_cloud_ply(const std::string& path, const PointCloud& pc) {
  write_file_atomic(path, encode_point_cloud_ply(pc));
}

}  // namespace ttgs::io
