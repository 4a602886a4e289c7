#pragma once
// A small self-describing file of named tensors plus JSON metadata, for checkpoints and learned models. Independent
// of LibTorch's own serialization so a file written by one LibTorch version reads in another.
//
// Layout: "TTGSARC1" | uint64 little-endian JSON length | JSON | raw tensor bytes (C order, little-endian),
// the JSON holding {"meta": {...}, "tensors": [{"name", "dtype", "shape", "offset", "bytes"}, ...]}.
#include <ATen/ATen.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace ttgs::model {

struct TensorArchive {
  nlohmann::json meta = nlohmann::json::object();
  std::vector<std::pair<std::string, at::Tensor>> tensors;

  void add(const std::string& name, const at::Tensor& t) { tensors.emplace_back(name, t); }
  // The tensor of that name; throws InputError naming `path` when it is missing.
  const at::Tensor& get(const std::string& name) const;
  bool has(const std::string& name) const;
  std::string path;  // where it was read from (for error messages)
};

// Written to a temporary file and renamed. Tensors may be float32/float64/int64/int32/uint8/bool, any device.
void save_archive(const std::string& path, const TensorArchive& archive);
// Throws InputError naming the file on any inconsistency (truncation, bad magic, unknown dtype, sizes).
TensorArchive load_archive(const std::string& path);

}  // namespace ttgs::model

#include "model/gaussians.hpp"

namespace ttgs::model {
// The six attribute tensors under `prefix` + means, log_scales, ...
void add_gaussians(TensorArchive& archive, const Gaussians& g, const std::string& prefix);
// Throws InputError naming the archive when a tensor is missing or the shapes do not fit together.
Gaussians get_gaussians(const TensorArchive& archive, const std::string& prefix);
}  // namespace ttgs::model
