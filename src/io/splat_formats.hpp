#pragma once
// Every splat file ttgs reads and writes, chosen by name: the INRIA .ply (ply.hpp), PlayCanvas's .compressed.ply,
// antimatter15's .splat, Niantic's .spz and glTF 2.0 .glb with KHR_gaussian_splatting. The codecs (one file each)
// convert to and from SplatData's raw INRIA values; the lossy ones say what they keep in their own file.
#include <optional>
#include <string>

#include "core/splat_data.hpp"

namespace ttgs::io {

enum class SplatFileFormat { Ply, CompressedPly, Splat, Spz, Glb };

// By the file name (".compressed.ply" before ".ply"); nullopt for any other name.
std::optional<SplatFileFormat> splat_file_format(const std::string& path);
bool is_splat_file(const std::string& path);
const char* splat_format_name(SplatFileFormat format);
// "a .ply, .compressed.ply, .splat, .spz or .glb file": for error messages.
const char* splat_file_kinds();

// The format of a file's bytes: its name, and for a .ply its header (a compressed one has PlayCanvas's chunks).
// InputError for a name that is no splat file.
SplatFileFormat splat_format_of(const std::string& bytes, const std::string& path);
// Reads any of them; InputError naming the file.
SplatData parse_splats(const std::string& bytes, const std::string& path);
SplatData read_splats(const std::string& path);
// SPZ's SH precision (bits per value; readers decode any): 8 keeps everything SPZ can hold.
struct SpzOptions {
  int sh1_bits = 7, sh_rest_bits = 6;
  bool antialiased = false;  // the header's flag: the splats were trained with Mip-Splatting's opacity compensation
};

// Writes by the file name, atomically; InputError for an unknown extension.
void write_splats(const std::string& path, const SplatData& splats, const SpzOptions& spz = {});

// What a command can start from: Gaussians (any splat file) or a plain point cloud (.ply with x y z [colours]).
struct SplatsOrPoints {
  std::optional<SplatData> splats;
  PointCloud points;  // set when `splats` is not
};
// The file read once; InputError when it holds no points.
SplatsOrPoints read_splats_or_points(const std::string& path);
// The Gaussians' centres with their DC colours (clamped to [0, 1]): a point cloud to start from.
PointCloud splat_centres(const SplatData& splats);

// The codecs on bytes (`name` for error messages).
std::string encode_antimatter_splat(const SplatData& splats);
SplatData parse_antimatter_splat(const std::string& bytes, const std::string& name);
std::string encode_spz(const SplatData& splats, const SpzOptions& options = {});
SplatData parse_spz(const std::string& bytes, const std::string& name);
std::string encode_compressed_ply(const SplatData& splats);
SplatData parse_compressed_ply(const std::string& bytes, const std::string& name);
bool is_compressed_ply(const std::string& bytes);  // a PLY with PlayCanvas's "chunk" element
std::string encode_glb_splats(const SplatData& splats);
SplatData parse_glb_splats(const std::string& bytes, const std::string& name);

}  // namespace ttgs::io
