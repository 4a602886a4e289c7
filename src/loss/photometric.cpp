#include "loss/photometric.hpp"

#include <torch/csrc/autograd/custom_function.h>

#include <cmath>
#include <mutex>
#include <string>
#include <utility>
#include <vector>
#include <stdexcept>

#include "loss/ssim_kernel.hpp"

namespace ttgs::loss {
namespace {
at::Tensor gaussian_window(int size, double sigma, const at::TensorOptions& o) {
  at::Tensor x = at::arange(size, o) - (size - 1) / 2.0;
  at::Tensor g = (-(x * x) / (2 * sigma * sigma)).exp();
  g = g / g.sum();
  return g;
}
// The SSIM map's derivatives live from forward to backward (three image-sized planes, 28 MB at 1024x768). Fresh memory
// on every iteration costs page faults that took longer than the SSIM itself, so released planes are kept for reuse.
template <typename T>
class PlanePool {
 public:
  static std::vector<T> take() {
    std::lock_guard<std::mutex> lock(mutex());
    auto& free = buffers();
    if (free.empty()) return {};
    std::vector<T> out = std::move(free.back());
    free.pop_back();
    return out;
  }
  static void give(std::vector<T>&& planes) {
    if (planes.capacity() == 0) return;
    std::lock_guard<std::mutex> lock(mutex());
    if (buffers().size() < 4) buffers().push_back(std::move(planes));
  }

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::vector<std::vector<T>>& buffers() {
    static std::vector<std::vector<T>> b;
    return b;
  }
};

struct SsimHolder : torch::CustomClassHolder {
  SsimState<float> f;
  SsimState<double> d;
  SsimHolder() {
    f.planes = PlanePool<float>::take();
    d.planes = PlanePool<double>::take();
  }
  ~SsimHolder() override {
    PlanePool<float>::give(std::move(f.planes));
    PlanePool<double>::give(std::move(d.planes));
  }
};

// loss = l1_weight · mean|x − y| + ssim_weight · SSIM(x, y) + offset, in one kernel pass each way.
struct LossWeights {
  double l1 = 0, ssim = 1, offset = 0;
};

template <typename T>
at::Tensor loss_forward_typed(const at::Tensor& x, const at::Tensor& y, SsimState<T>& state, const LossWeights& w) {
  const int H = int(x.size(0)), W = int(x.size(1)), C = int(x.size(2));
  const double s = ssim_forward<T>(x.data_ptr<T>(), y.data_ptr<T>(), H, W, C, state);
  const double l1 = w.l1 != 0 ? double(l1_mean<T>(x.data_ptr<T>(), y.data_ptr<T>(), H, W, C)) : 0.0;
  return at::scalar_tensor(w.l1 * l1 + w.ssim * s + w.offset, x.options());
}

template <typename T>
at::Tensor loss_backward_typed(const at::Tensor& x, const at::Tensor& y, const SsimState<T>& state, const LossWeights& w,
                               double upstream) {
  at::Tensor dx = at::empty_like(x);
  ssim_backward<T>(x.data_ptr<T>(), y.data_ptr<T>(), state, T(w.ssim * upstream), dx.data_ptr<T>(),
                   T(w.l1 * upstream / double(x.numel())));
  return dx;
}

struct FusedLoss : torch::autograd::Function<FusedLoss> {
  static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x, const at::Tensor& y,
                            double l1_weight, double ssim_weight, double offset) {
    auto state = c10::make_intrusive<SsimHolder>();
    const LossWeights w{l1_weight, ssim_weight, offset};
    const at::Tensor out = x.scalar_type() == at::kDouble ? loss_forward_typed<double>(x, y, state->d, w)
                                                          : loss_forward_typed<float>(x, y, state->f, w);
    ctx->save_for_backward({x, y});
    ctx->saved_data["state"] = at::IValue::make_capsule(state);
    ctx->saved_data["l1"] = l1_weight;
    ctx->saved_data["ssim"] = ssim_weight;
    return out;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    auto state = c10::static_intrusive_pointer_cast<SsimHolder>(ctx->saved_data["state"].toCapsule());
    const LossWeights w{ctx->saved_data["l1"].toDouble(), ctx->saved_data["ssim"].toDouble(), 0};
    const at::Tensor& x = saved[0];
    const double g = grads[0].item<double>();
    const at::Tensor dx = x.scalar_type() == at::kDouble ? loss_backward_typed<double>(x, saved[1], state->d, w, g)
                                                         : loss_backward_typed<float>(x, saved[1], state->f, w, g);
    return {dx, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
  }
};

// The images as the kernels read them: (H, W, C) on the CPU, contiguous, float or double; the target detached.
std::pair<at::Tensor, at::Tensor> kernel_inputs(const at::Tensor& rendered, const at::Tensor& target, const char* what) {
  if (rendered.dim() != 3 || rendered.sizes() != target.sizes())
    throw std::invalid_argument(std::string(what) + ": images must be (H, W, C) of the same size");
  const at::ScalarType dtype = rendered.scalar_type() == at::kDouble ? at::kDouble : at::kFloat;
  return {rendered.to(at::kCPU, dtype).contiguous(), target.detach().to(at::kCPU, dtype).contiguous()};
}

}  // namespace

at::Tensor ssim(const at::Tensor& rendered, const at::Tensor& target) {
  const auto [x, y] = kernel_inputs(rendered, target, "ssim");
  return FusedLoss::apply(x, y, 0.0, 1.0, 0.0);
}

at::Tensor ssim_reference(const at::Tensor& a, const at::Tensor& b) {
  const int win = 11;
  const at::Tensor g = gaussian_window(win, 1.5, a.options());
  // Separable blur of (1, 3, H, W) images per channel.
  const auto blur = [&](const at::Tensor& x) {
    const int64_t C = x.size(1);
    const at::Tensor kx = g.view({1, 1, 1, win}).expand({C, 1, 1, win}).contiguous();
    const at::Tensor ky = g.view({1, 1, win, 1}).expand({C, 1, win, 1}).contiguous();
    at::Tensor y = at::conv2d(x, kx, at::Tensor(), at::IntArrayRef{1, 1}, at::IntArrayRef{0, win / 2}, at::IntArrayRef{1, 1}, C);
    return at::conv2d(y, ky, at::Tensor(), at::IntArrayRef{1, 1}, at::IntArrayRef{win / 2, 0}, at::IntArrayRef{1, 1}, C);
  };
  const at::Tensor x = a.permute({2, 0, 1}).unsqueeze(0), y = b.permute({2, 0, 1}).unsqueeze(0);
  const at::Tensor mx = blur(x), my = blur(y);
  const at::Tensor sxx = blur(x * x) - mx * mx, syy = blur(y * y) - my * my, sxy = blur(x * y) - mx * my;
  const double C1 = 0.01 * 0.01, C2 = 0.03 * 0.03;
  const at::Tensor map = ((2 * mx * my + C1) * (2 * sxy + C2)) / ((mx * mx + my * my + C1) * (sxx + syy + C2));
  return map.mean();
}


at::Tensor photometric(const at::Tensor& rendered, const at::Tensor& target, double lambda) {
  const auto [x, y] = kernel_inputs(rendered, target, "photometric");
  return FusedLoss::apply(x, y, 1 - lambda, -lambda, lambda);  // (1 − λ) L1 + λ (1 − SSIM)
}

at::Tensor masked_photometric(const at::Tensor& rendered, const at::Tensor& target, const at::Tensor& mask,
                              double lambda) {
  return photometric(mask.defined() ? rendered * mask + target * (1 - mask) : rendered, target, lambda);
}

}  // namespace ttgs::loss
