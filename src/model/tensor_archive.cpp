#include "model/tensor_archive.hpp"

#include <cstring>

#include "core/error.hpp"
#include "io/file_util.hpp"

namespace ttgs::model {
namespace {
constexpr char kMagic[8] = {'T', 'T', 'G', 'S', 'A', 'R', 'C', '1'};

const char* dtype_name(at::ScalarType t) {
  switch (t) {
    case at::kFloat: return "f4";
    case at::kDouble: return "f8";
    case at::kLong: return "i8";
    case at::kInt: return "i4";
    case at::kByte: return "u1";
    case at::kBool: return "b1";
    default: return nullptr;
  }
}

at::ScalarType dtype_from_name(const std::string& s, const std::string& path) {
  for (at::ScalarType t : {at::kFloat, at::kDouble, at::kLong, at::kInt, at::kByte, at::kBool})
    if (s == dtype_name(t)) return t;
  throw InputError(path, "unknown tensor type '" + s + "'");
}
}  // namespace

const at::Tensor& TensorArchive::get(const std::string& name) const {
  for (const auto& [n, t] : tensors)
    if (n == name) return t;
  throw InputError(path, "has no tensor '" + name + "'");
}

bool TensorArchive::has(const std::string& name) const {
  for (const auto& entry : tensors)
    if (entry.first == name) return true;
  return false;
}

void save_archive(const std::string& path, const TensorArchive& a) {
  nlohmann::json table = nlohmann::json::array();
  std::string data;
  for (const auto& [name, tensor] : a.tensors) {
    const at::Tensor t = tensor.detach().to(at::kCPU).contiguous();
    const char* dtype = dtype_name(t.scalar_type());
    if (!dtype) throw std::invalid_argument("save_archive: unsupported tensor type for '" + name + "'");
    const size_t bytes = size_t(t.numel()) * t.element_size();
    table.push_back({{"name", name}, {"dtype", dtype}, {"shape", t.sizes().vec()}, {"offset", data.size()},
                     {"bytes", bytes}});
    data.append(static_cast<const char*>(t.data_ptr()), bytes);
  }
  const std::string header = nlohmann::json{{"meta", a.meta}, {"tensors", table}}.dump();
  std::string out(kMagic, 8);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.push_back(char((n >> (8 * i)) & 0xff));
  out += header;
  out += data;
  io::write_file_atomic(path, out);
}

TensorArchive load_archive(const std::string& path) {
  const std::string bytes = io::read_file(path);
  if (bytes.size() < 16 || std::memcmp(bytes.data(), kMagic, 8) != 0)
    throw InputError(path, "not a ttgs archive (bad magic)");
  uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= uint64_t(uint8_t(bytes[8 + i])) << (8 * i);
  if (n > bytes.size() - 16) throw InputError(path, "truncated archive header");
  TensorArchive a;
  a.path = path;
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(bytes.substr(16, n));
    a.meta = header.at("meta");
    const size_t base = 16 + n;
    for (const auto& e : header.at("tensors")) {
      const std::string name = e.at("name").get<std::string>();
      const at::ScalarType type = dtype_from_name(e.at("dtype").get<std::string>(), path);
      const std::vector<int64_t> shape = e.at("shape").get<std::vector<int64_t>>();
      const uint64_t offset = e.at("offset").get<uint64_t>(), size = e.at("bytes").get<uint64_t>();
      int64_t numel = 1;
      for (int64_t s : shape) {
        if (s < 0 || (s > 0 && numel > (int64_t(1) << 40) / s)) throw InputError(path, "bad shape of '" + name + "'");
        numel *= s;
      }
      at::Tensor t = at::empty(shape, at::TensorOptions().dtype(type));
      if (uint64_t(numel) * t.element_size() != size || offset > bytes.size() - base || size > bytes.size() - base - offset)
        throw InputError(path, "tensor '" + name + "' is truncated or inconsistent");
      if (size) std::memcpy(t.data_ptr(), bytes.data() + base + offset, size);
      a.tensors.emplace_back(name, t);
    }
  } catch (const nlohmann::json::exception& e) {
    throw InputError(path, std::string("malformed archive header: ") + e.what());
  }
  return a;
}

}  // namespace ttgs::model

namespace ttgs::model {
namespace {
constexpr const char* kAttributeNames[6] = {"means", "log_scales", "quats", "opacity_logits", "sh_dc", "sh_rest"};
}

void add_gaussians(TensorArchive& a, const Gaussians& g, const std::string& prefix) {
  const auto t = g.tensors();
  for (size_t k = 0; k < 6; ++k) a.add(prefix + kAttributeNames[k], *t[k]);
  if (g.part.defined()) a.add(prefix + "part", g.part);
}

Gaussians get_gaussians(const TensorArchive& a, const std::string& prefix) {
  Gaussians g;
  auto t = g.tensors();
  for (size_t k = 0; k < 6; ++k) *t[k] = a.get(prefix + kAttributeNames[k]).clone();
  if (a.has(prefix + "part")) g.part = a.get(prefix + "part").clone();
  try {
    g.check();
  } catch (const std::invalid_argument& e) {
    throw InputError(a.path, e.what());
  }
  return g;
}
}  // namespace ttgs::model
