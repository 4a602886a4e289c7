#pragma once
// Conversions between plain images and (H, W, C) float32 tensors.
#include <ATen/ATen.h>

#include "core/image.hpp"

namespace ttgs::model {
at::Tensor to_tensor(const Image& img);       // (H, W, C) float32, a copy
at::Tensor to_tensor(const Image8& img);      // (H, W, C) float32 in [0, 1] (value / 255)
// (H, W, C) uint8 over the image's own pixels, no copy: the image must outlive the tensor.
at::Tensor byte_tensor(const Image8& img);
at::Tensor from_8bit(const at::Tensor& bytes);  // uint8 -> float32 in [0, 1]
Image from_tensor(const at::Tensor& tensor);  // (H, W) or (H, W, C)
}  // namespace ttgs::model
