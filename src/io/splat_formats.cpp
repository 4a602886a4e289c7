#include "io/splat_formats.hpp"

#include <algorithm>
#include <cctype>

#include "core/error.hpp"
#include "io/file_util.hpp"
#include "io/ply.hpp"
#include "io/splat_values.hpp"

namespace ttgs::io {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

std::optional<SplatFileFormat> splat_file_format(const std::string& path) {
  std::string name = path;
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  if (ends_with(name, ".compressed.ply")) return SplatFileFormat::CompressedPly;
  if (ends_with(name, ".ply")) return SplatFileFormat::Ply;
  if (ends_with(name, ".splat")) return SplatFileFormat::Splat;
  if (ends_with(name, ".spz")) return SplatFileFormat::Spz;
  if (ends_with(name, ".glb")) return SplatFileFormat::Glb;
  return std::nullopt;
}

bool is_splat_file(const std::string& path) { return splat_file_format(path).has_value(); }

const char* splat_format_name(SplatFileFormat format) {
  switch (format) {
    case SplatFileFormat::Ply: return "INRIA PLY";
    case SplatFileFormat::CompressedPly: return "PlayCanvas compressed PLY";
    case SplatFileFormat::Splat: return "antimatter15 .splat";
    case SplatFileFormat::Spz: return "Niantic SPZ";
    case SplatFileFormat::Glb: return "glTF 2.0 (KHR_gaussian_splatting)";
  }
  return "?";
}

const char* splat_file_kinds() { return "a .ply, .compressed.ply, .splat, .spz or .glb file"; }

SplatFileFormat splat_format_of(const std::string& bytes, const std::string& path) {
  const std::optional<SplatFileFormat> named = splat_file_format(path);
  if (!named) throw InputError(path, std::string("not a splat file: expected ") + splat_file_kinds());
  if (*named == SplatFileFormat::Ply || *named == SplatFileFormat::CompressedPly)
    return is_compressed_ply(bytes) ? SplatFileFormat::CompressedPly : SplatFileFormat::Ply;
  return *named;
}

SplatData parse_splats(const std::string& bytes, const std::string& path) {
  switch (splat_format_of(bytes, path)) {
    case SplatFileFormat::Ply: return parse_splat_ply(bytes, path);
    case SplatFileFormat::CompressedPly: return parse_compressed_ply(bytes, path);
    case SplatFileFormat::Splat: return parse_antimatter_splat(bytes, path);
    case SplatFileFormat::Spz: return parse_spz(bytes, path);
    case SplatFileFormat::Glb: return parse_glb_splats(bytes, path);
  }
  throw InputError(path, "unknown splat format");
}

SplatData read_splats(const std::string& path) {
  if (!is_splat_file(path)) throw InputError(path, std::string("not a splat file: expected ") + splat_file_kinds());
  return parse_splats(read_file(path), path);
}

SplatsOrPoints read_splats_or_points(const std::string& path) {
  const std::string bytes = read_file(path);
  SplatsOrPoints out;
  if (splat_format_of(bytes, path) == SplatFileFormat::Ply) {
    const PlyVertexTable table = parse_ply_vertices(bytes, path);
    if (table.count == 0) throw InputError(path, "has no points to start from");
    if (is_splat_ply(table)) out.splats = splat_data_from_table(table, path);
    else out.points = point_cloud_from_table(table, path);
    return out;
  }
  out.splats = parse_splats(bytes, path);
  if (out.splats->count == 0) throw InputError(path, "has no points to start from");
  return out;
}

PointCloud splat_centres(const SplatData& s) {
  PointCloud pc;
  pc.positions = s.means;
  pc.colors.resize(s.sh_dc.size());
  for (size_t i = 0; i < s.sh_dc.size(); ++i)
    pc.colors[i] = float(std::clamp(splat_values::dc_to_color(s.sh_dc[i]), 0.0, 1.0));
  return pc;
}

void write_splats(const std::string& path, const SplatData& splats, const SpzOptions& spz) {
  const std::optional<SplatFileFormat> format = splat_file_format(path);
  if (!format) throw InputError(path, std::string("unknown output format: expected ") + splat_file_kinds());
  switch (*format) {
    case SplatFileFormat::Ply: write_file_atomic(path, encode_splat_ply(splats)); return;
    case SplatFileFormat::CompressedPly: write_file_atomic(path, encode_compressed_ply(splats)); return;
    case SplatFileFormat::Splat: write_file_atomic(path, encode_antimatter_splat(splats)); return;
    case SplatFileFormat::Spz: write_file_atomic(path, encode_spz(splats, spz)); return;
    case SplatFileFormat::Glb: write_file_atomic(path, encode_glb_splats(splats)); return;
  }
}

}  // namespace ttgs::io
