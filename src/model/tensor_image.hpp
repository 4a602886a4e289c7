#pragma once
// Conversions between plain images and (H, W, C) float32 tensors.
#include <ATen/ATen.h>

#include "core/image.hpp"

namespace ttgs::model {
at::Tensor to_tensor(const Image& img);       // (H, W, C) float32, a copy
Image from_tensor(const at::Tensor& tensor);  // (H, W) or (H, W, C)
}  // namespace ttgs::model
