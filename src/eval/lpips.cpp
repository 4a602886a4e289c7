#include "eval/lpips.hpp"

#include <c10/core/GradMode.h>
#include <cmath>

#include "core/error.hpp"
#include "model/torchscript.hpp"

namespace ttgs::eval {

struct LpipsModel::Impl {
  torch::jit::Module module;
};

LpipsModel::LpipsModel(const std::string& path) : impl_(std::make_unique<Impl>()), path_(path) {
  impl_->module = model::load_torchscript(path, "--lpips");
}

LpipsModel::~LpipsModel() = default;
LpipsModel::LpipsModel(LpipsModel&&) noexcept = default;
LpipsModel& LpipsModel::operator=(LpipsModel&&) noexcept = default;

double LpipsModel::distance(const at::Tensor& a, const at::Tensor& b) const {
  c10::NoGradGuard no_grad;
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
