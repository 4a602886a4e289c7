#include "eval/lpips.hpp"

#include <torch/script.h>

#include <cmath>

#include "core/error.hpp"
#include "io/file_util.hpp"

namespace ttgs::eval {

struct LpipsModel::Impl {
  torch::jit::Module module;
};

LpipsModel::LpipsModel(const std::string& path) : impl_(std::make_unique<Impl>()), path_(path) {
  if (!io::file_exists(path) || io::is_directory(path)) throw InputError(path, "no such file (--lpips expects a TorchScript model)");
  try {
    impl_->module = torch::jit::load(path);
    impl_->module.eval();
  } catch (const c10::Error& e) {
    throw InputError(path, "not a loadable TorchScript model: " + std::string(e.what_without_backtrace()));
  }
}

LpipsModel::~LpipsModel() = default;
LpipsModel::LpipsModel(LpipsModel&&) noexcept = default;
LpipsModel& LpipsModel::operator=(LpipsModel&&) noexcept = default;

double LpipsModel::distance(const at::Tensor& a, const at::Tensor& b) const {
  at::NoGradGuard no_grad;
  const auto to_input = [](const at::Tensor& img) {
    return (img.to(at::kFloat).permute({2, 0, 1}).unsqueeze(0) * 2 - 1).contiguous();
  };
  at::Tensor out;
  try {
    out = impl_->module.forward({to_input(a), to_input(b)}).toTensor();
  } catch (const c10::Error& e) {
    throw InputError(path_, "LPIPS model failed: " + std::string(e.what_without_backtrace()));
  }
  if (out.numel() != 1) throw InputError(path_, "LPIPS model returned " + std::to_string(out.numel()) + " values, not 1");
  const double d = out.item<double>();
  if (!std::isfinite(d)) throw InputError(path_, "LPIPS model returned a non-finite distance");
  return d;
}

}  // namespace ttgs::eval
