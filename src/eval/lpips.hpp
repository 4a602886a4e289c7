#pragma once
// LPIPS from a user-supplied TorchScript model, never approximated. The model's forward takes two images as
// (1, 3, H, W) float tensors scaled to [-1, 1] (the LPIPS convention) and returns the distance as a tensor with a
// single element. Without such a model LPIPS is reported as unavailable.
#include <ATen/ATen.h>

#include <memory>
#include <string>

namespace ttgs::eval {

class LpipsModel {
 public:
  // Throws InputError naming the file when it cannot be loaded as TorchScript.
  explicit LpipsModel(const std::string& path);
  ~LpipsModel();
  LpipsModel(LpipsModel&&) noexcept;
  LpipsModel& operator=(LpipsModel&&) noexcept;
  // Distance between two (H, W, 3) images in [0, 1]; InputError naming the model when its output is not one finite
  // number.
  double distance(const at::Tensor& a, const at::Tensor& b) const;
  const std::string& path() const { return path_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

}  // namespace ttgs::eval
