#include "eval/metrics.hpp"

#include <c10/core/GradMode.h>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "loss/photometric.hpp"

namespace ttgs::eval {

double psnr(const at::Tensor& image, const at::Tensor& reference, const at::Tensor& mask) {
  if (image.sizes() != reference.sizes()) throw std::invalid_argument("psnr: images differ in size");
  c10::NoGradGuard no_grad;
  const at::Tensor diff2 = (image.to(at::kDouble) - reference.to(at::kDouble)).pow(2);
  double mse;
  if (mask.defined()) {
    const at::Tensor m = mask.to(at::kDouble).expand_as(diff2);
    const double count = m.sum().item<double>();
    if (count <= 0) throw std::invalid_argument("psnr: the mask excludes every pixel");
    mse = (diff2 * m).sum().item<double>() / count;
  } else {
    mse = diff2.mean().item<double>();
  }
  return mse > 0 ? -10.0 * std::log10(mse) : std::numeric_limits<double>::infinity();
}

double ssim(const at::Tensor& image, const at::Tensor& reference) {
  c10::NoGradGuard no_grad;
  return loss::ssim(image.detach(), reference).item<double>();
}

}  // namespace ttgs::eval
