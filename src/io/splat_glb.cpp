// glTF 2.0 binary (.glb) with KHR_gaussian_splatting (the Release Candidate text): one mesh primitive in POINTS mode
// whose attributes are POSITION, COLOR_0 (a fallback for plain viewers), KHR_gaussian_splatting:ROTATION (x y z w),
// :SCALE (linear), :OPACITY (linear) and :SH_DEGREE_l_COEF_n (the raw SH coefficients, DC included), all float
// except COLOR_0 (normalized u8). As splat-transform does, the data are turned 180 degrees about z on the way out
// (the INRIA/COLMAP frame, y down, to glTF's y up): positions (-x, -y, z), the quaternion conjugated accordingly and
// the SH coefficients that are odd in x and y negated. Reading undoes it. The reader also takes normalized integer
// accessors, interleaved buffer views and the older drafts' log-space scales (any negative SCALE value).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

#include "io/bytes.hpp"
#include "io/splat_formats.hpp"
#include "io/splat_values.hpp"

namespace ttgs::io {
namespace {

namespace sv = splat_values;
using nlohmann::json;

constexpr uint32_t kGlbMagic = 0x46546C67, kJsonChunk = 0x4E4F534A, kBinChunk = 0x004E4942;
constexpr const char* kExt = "KHR_gaussian_splatting";
constexpr int kFloat = 5126, kUByte = 5121, kByte = 5120, kUShort = 5123, kShort = 5122;

// Sign of SH coefficient k (0-based within a channel, degree 1 first) under the 180-degree turn about z.
double sh_sign(int k) {
  static const int signs[15] = {-1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1, 1, -1};
  return signs[k];
}

// The 180-degree turn about z, its own inverse: applied when writing and when reading.
void turn_about_z(SplatData& s) {
  const int rest = sh_rest_count(s.sh_degree);
  for (size_t i = 0; i < s.count; ++i) {
    s.means[3 * i] = -s.means[3 * i], s.means[3 * i + 1] = -s.means[3 * i + 1];
    // The turn's quaternion (0, 0, 0, 1) times q: (w, x, y, z) -> (-z, -y, x, w); twice gives -q, the same rotation.
    float* q = &s.quats[4 * i];
    const float w = q[0], x = q[1], y = q[2], z = q[3];
    q[0] = -z, q[1] = -y, q[2] = x, q[3] = w;
    for (int k = 0; k < rest; ++k)
      for (int c = 0; c < 3; ++c) s.sh_rest[(i * size_t(rest) + size_t(k)) * 3 + size_t(c)] *= float(sh_sign(k));
  }
}

std::string sh_attribute(int degree, int n) {
  return std::string(kExt) + ":SH_DEGREE_" + std::to_string(degree) + "_COEF_" + std::to_string(n);
}

struct Writer {
  ByteWriter bin;
  json views = json::array(), accessors = json::array(), attributes = json::object();
  void add(const std::string& semantic, const std::string& type, int component, const std::string& data, size_t count,
           bool normalized = false, json extra = json::object()) {
    bin.pad_to(4, '\0');
    views.push_back({{"buffer", 0}, {"byteOffset", bin.size()}, {"byteLength", data.size()}, {"target", 34962}});
    json a = {{"bufferView", views.size() - 1}, {"componentType", component}, {"count", count}, {"type", type}};
    if (normalized) a["normalized"] = true;
    a.update(extra);
    accessors.push_back(a);
    attributes[semantic] = accessors.size() - 1;
    bin.put_bytes(data);
  }
};

template <typename F>
std::string floats(size_t n, int width, F&& value) {
  ByteWriter w;
  for (size_t i = 0; i < n; ++i)
    for (int k = 0; k < width; ++k) w.put<float>(float(value(i, k)));
  return std::move(w.bytes());
}

}  // namespace

std::string encode_glb_splats(const SplatData& given) {
  SplatData s = given;
  turn_about_z(s);
  const size_t n = s.count;
  const int rest = sh_rest_count(s.sh_degree);
  Writer w;
  std::array<double, 3> lo{INFINITY, INFINITY, INFINITY}, hi{-INFINITY, -INFINITY, -INFINITY};
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < 3; ++k) lo[k] = std::min(lo[k], double(s.means[3 * i + k])), hi[k] = std::max(hi[k], double(s.means[3 * i + k]));
  if (n == 0) lo = hi = {0, 0, 0};
  w.add("POSITION", "VEC3", kFloat, floats(n, 3, [&](size_t i, int k) { return s.means[3 * i + size_t(k)]; }), n, false,
        {{"min", lo}, {"max", hi}});
  ByteWriter colors;
  for (size_t i = 0; i < n; ++i) {
    for (int k = 0; k < 3; ++k) colors.put<uint8_t>(sv::to_byte(sv::dc_to_color(s.sh_dc[3 * i + size_t(k)])));
    colors.put<uint8_t>(sv::to_byte(sv::sigmoid(s.opacity_logits[i])));
  }
  w.add("COLOR_0", "VEC4", kUByte, colors.bytes(), n, true);
  std::vector<double> rotations;  // x y z w, unit
  for (size_t i = 0; i < n; ++i) {
    const std::array<double, 4> q = sv::unit_wxyz(&s.quats[4 * i]);
    rotations.insert(rotations.end(), {q[1], q[2], q[3], q[0]});
  }
  w.add(std::string(kExt) + ":ROTATION", "VEC4", kFloat, floats(n, 4, [&](size_t i, int k) { return rotations[4 * i + size_t(k)]; }), n);
  w.add(std::string(kExt) + ":SCALE", "VEC3", kFloat,
        floats(n, 3, [&](size_t i, int k) { return std::exp(double(s.log_scales[3 * i + size_t(k)])); }), n);
  w.add(std::string(kExt) + ":OPACITY", "SCALAR", kFloat, floats(n, 1, [&](size_t i, int) { return sv::sigmoid(s.opacity_logits[i]); }), n);
  w.add(sh_attribute(0, 0), "VEC3", kFloat, floats(n, 3, [&](size_t i, int c) { return s.sh_dc[3 * i + size_t(c)]; }), n);
  for (int degree = 1, k = 0; degree <= s.sh_degree; ++degree)
    for (int m = 0; m < 2 * degree + 1; ++m, ++k)
      w.add(sh_attribute(degree, m), "VEC3", kFloat, floats(n, 3, [&](size_t i, int c) {
              return s.sh_rest[(i * size_t(rest) + size_t(k)) * 3 + size_t(c)];
            }), n);
  w.bin.pad_to(4, '\0');
  const json doc = {
      {"asset", {{"version", "2.0"}, {"generator", "ttgs"}}},
      {"extensionsUsed", {kExt}},
      {"scene", 0},
      {"scenes", {{{"nodes", {0}}}}},
      {"nodes", {{{"mesh", 0}}}},
      {"meshes", {{{"primitives", {{{"attributes", w.attributes}, {"mode", 0},
                                    {"extensions", {{kExt, {{"kernel", "ellipse"}, {"colorSpace", "srgb_rec709_display"},
                                                            {"projection", "perspective"},
                                                            {"sortingMethod", "cameraDistance"}}}}}}}}}}},
      {"buffers", {{{"byteLength", w.bin.size()}}}},
      {"bufferViews", w.views},
      {"accessors", w.accessors}};
  std::string text = doc.dump();
  while (text.size() % 4 != 0) text.push_back(' ');
  ByteWriter out;
  out.put<uint32_t>(kGlbMagic);
  out.put<uint32_t>(2);
  out.put<uint32_t>(uint32_t(12 + 8 + text.size() + 8 + w.bin.size()));
  out.put<uint32_t>(uint32_t(text.size()));
  out.put<uint32_t>(kJsonChunk);
  out.put_bytes(text);
  out.put<uint32_t>(uint32_t(w.bin.size()));
  out.put<uint32_t>(kBinChunk);
  out.put_bytes(w.bin.bytes());
  return std::move(out.bytes());
}

namespace {

// An accessor's values as doubles (count x components), with glTF's normalized-integer rules.
std::vector<double> read_accessor(const json& doc, const std::string& bin, int index, int components,
                                  const std::string& name) {
  const json& a = doc.at("accessors").at(size_t(index));
  if (a.contains("sparse")) throw InputError(name, "sparse accessors are not supported");
  const json& v = doc.at("bufferViews").at(a.at("bufferView").get<size_t>());
  if (v.value("buffer", 0) != 0) throw InputError(name, "only the GLB's own buffer is supported");
  const int type = a.at("componentType").get<int>();
  const bool normalized = a.value("normalized", false);
  const size_t size = type == kFloat ? 4 : (type == kUShort || type == kShort) ? 2 : 1;
  const size_t count = a.at("count").get<size_t>();
  if (count > bin.size()) throw InputError(name, "an accessor counts more elements than the binary chunk holds");
  const size_t stride = v.value("byteStride", size_t(0)) ? v.value("byteStride", size_t(0)) : size * size_t(components);
  const size_t start = v.value("byteOffset", size_t(0)) + a.value("byteOffset", size_t(0));
  if (count > 0 && (start > bin.size() || (count - 1) * stride + size * size_t(components) > bin.size() - start))
    throw InputError(name, "an accessor reaches past the binary chunk");
  std::vector<double> out(count * size_t(components));
  for (size_t i = 0; i < count; ++i)
    for (int k = 0; k < components; ++k) {
      const char* p = bin.data() + start + i * stride + size_t(k) * size;
      double x = 0;
      if (type == kFloat) { float f; std::memcpy(&f, p, 4); x = f; }
      else if (type == kUByte) x = uint8_t(*p) / (normalized ? 255.0 : 1.0);
      else if (type == kByte) x = normalized ? std::max(int8_t(*p) / 127.0, -1.0) : int8_t(*p);
      else if (type == kUShort) { uint16_t u; std::memcpy(&u, p, 2); x = u / (normalized ? 65535.0 : 1.0); }
      else if (type == kShort) { int16_t u; std::memcpy(&u, p, 2); x = normalized ? std::max(u / 32767.0, -1.0) : u; }
      else throw InputError(name, "unsupported accessor component type " + std::to_string(type));
      out[i * size_t(components) + size_t(k)] = x;
    }
  return out;
}

}  // namespace

SplatData parse_glb_splats(const std::string& bytes, const std::string& name) {
  ByteReader r(bytes, name);
  if (r.get<uint32_t>() != kGlbMagic) throw InputError(name, "not a binary glTF (.glb) file");
  if (r.get<uint32_t>() != 2) throw InputError(name, "only glTF 2.0 is supported");
  r.get<uint32_t>();
  const uint32_t json_length = r.get<uint32_t>();
  if (r.get<uint32_t>() != kJsonChunk) throw InputError(name, "the first GLB chunk is not JSON");
  r.need(json_length);
  const json doc = json::parse(bytes.substr(r.offset(), json_length), nullptr, false);
  if (doc.is_discarded()) throw InputError(name, "malformed glTF JSON");
  r.skip(json_length);
  std::string bin;
  if (r.remaining() >= 8) {
    const uint32_t bin_length = r.get<uint32_t>();
    if (r.get<uint32_t>() == kBinChunk) r.need(bin_length), bin = bytes.substr(r.offset(), bin_length);
  }
  try {
    const json* prim = nullptr;
    const json none = json::array();
    for (const json& mesh : doc.contains("meshes") ? doc.at("meshes") : none)
      for (const json& p : mesh.contains("primitives") ? mesh.at("primitives") : none)
        if (!prim && p.at("attributes").contains(std::string(kExt) + ":ROTATION")) prim = &p;
    if (!prim) throw InputError(name, "no mesh primitive with KHR_gaussian_splatting attributes");
    for (const json& node : doc.contains("nodes") ? doc.at("nodes") : none)
      if (node.contains("matrix") || node.contains("rotation") || node.contains("scale") || node.contains("translation"))
        throw InputError(name, "node transforms are not supported (bake them into the splats)");
    const json& at = prim->at("attributes");
    const auto attribute = [&](const std::string& semantic, int components) {
      if (!at.contains(semantic)) throw InputError(name, "missing attribute " + semantic);
      return read_accessor(doc, bin, at.at(semantic).get<int>(), components, name);
    };
    const std::vector<double> position = attribute("POSITION", 3);
    const size_t n = position.size() / 3;
    int degree = 0;
    while (degree < 3 && at.contains(sh_attribute(degree + 1, 0))) ++degree;
    SplatData s;
    s.resize(n, degree);
    const std::vector<double> rotation = attribute(std::string(kExt) + ":ROTATION", 4);
    const std::vector<double> scale = attribute(std::string(kExt) + ":SCALE", 3);
    const std::vector<double> opacity = attribute(std::string(kExt) + ":OPACITY", 1);
    const bool log_space = std::any_of(scale.begin(), scale.end(), [](double x) { return x < 0; });  // older drafts
    const bool has_dc = at.contains(sh_attribute(0, 0));
    const std::vector<double> dc = has_dc ? attribute(sh_attribute(0, 0), 3) : attribute("COLOR_0", 4);
    if (rotation.size() != 4 * n || scale.size() != 3 * n || opacity.size() != n || dc.size() != (has_dc ? 3 : 4) * n)
      throw InputError(name, "attributes of different counts");
    for (size_t i = 0; i < n; ++i) {
      for (size_t k = 0; k < 3; ++k) {
        s.means[3 * i + k] = float(position[3 * i + k]);
        s.log_scales[3 * i + k] = float(log_space ? scale[3 * i + k] : std::log(std::max(scale[3 * i + k], 1e-30)));
        s.sh_dc[3 * i + k] = float(has_dc ? dc[3 * i + k] : sv::color_to_dc(dc[4 * i + k]));
      }
      for (size_t k = 0; k < 4; ++k) s.quats[4 * i + k] = float(rotation[4 * i + (k + 3) % 4]);  // w x y z
      s.opacity_logits[i] = float(sv::logit(opacity[i]));
    }
    const int rest = sh_rest_count(degree);
    for (int d = 1, k = 0; d <= degree; ++d)
      for (int m = 0; m < 2 * d + 1; ++m, ++k) {
        const std::vector<double> c = attribute(sh_attribute(d, m), 3);
        for (size_t i = 0; i < n && c.size() == 3 * n; ++i)
          for (size_t ch = 0; ch < 3; ++ch) s.sh_rest[(i * size_t(rest) + size_t(k)) * 3 + ch] = float(c[3 * i + ch]);
      }
    turn_about_z(s);
    if (!s.all_finite()) throw InputError(name, "holds non-finite values");
    return s;
  } catch (const json::exception& e) {
    throw InputError(name, std::string("malformed glTF: ") + e.what());
  }
}

}  // namespace ttgs::io
