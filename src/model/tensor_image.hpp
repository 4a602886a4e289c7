#pragma once
// Conversions between plain images and (H, W, C) float32 tensors.
#include <ATen/ATen.h>

#include "core/image.hpp"

namespace ttgs::model {
at::Tensor to_tensor(const Image& img);       // (H, W, C) float32, a copy
at::Tensor to_tensor(const Image8& img);      // (H, W, C) float32 in [0, 1] (value / 255)
Image from_tensor(const at::Tensor& tensor);  // (H, W) or (H, W, C)
}  // namespace ttgs::model
