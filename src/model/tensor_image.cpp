#include "model/tensor_image.hpp"

#include <stdexcept>

namespace ttgs::model {

at::Tensor to_tensor(const Image& img) {
  return at::from_blob(const_cast<float*>(img.data.data()), {img.height, img.width, img.channels}, at::kFloat).clone();
}

at::Tensor byte_tensor(const Image8& img) {
  return at::from_blob(const_cast<uint8_t*>(img.data.data()), {img.height, img.width, img.channels}, at::kByte);
}

at::Tensor from_8bit(const at::Tensor& bytes) { return bytes.to(at::kFloat).div_(255.0f); }

at::Tensor to_tensor(const Image8& img) { return from_8bit(byte_tensor(img)); }

Image from_tensor(const at::Tensor& tensor) {
  if (tensor.dim() != 2 && tensor.dim() != 3) throw std::invalid_argument("expected an (H, W) or (H, W, C) tensor");
  const at::Tensor t = tensor.detach().to(at::kCPU, at::kFloat).contiguous();
  Image img(int(t.size(1)), int(t.size(0)), t.dim() == 3 ? int(t.size(2)) : 1);
  std::copy(t.data_ptr<float>(), t.data_ptr<float>() + t.numel(), img.data.begin());
  return img;
}

}  // namespace ttgs::model
