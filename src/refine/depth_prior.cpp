#include "refine/depth_prior.hpp"


#include <c10/core/GradMode.h>
#include <cmath>
#include <filesystem>

#include "core/error.hpp"
#include "io/file_util.hpp"
#include "io/image_io.hpp"
#include "io/npy.hpp"
#include "model/tensor_image.hpp"
#include "model/torchscript.hpp"

namespace ttgs::refine {
namespace {

at::Tensor checked_prior(at::Tensor map, const io::Frame& f, const std::string& what) {
  if (map.dim() != 2 || map.numel() == 0) throw InputError(what, "depth prior must be a single-channel map");
  map = resize_nearest(map.to(at::kFloat), f.camera.height, f.camera.width);
  if (!map.isfinite().all().item<bool>() || (map < 0).any().item<bool>())
    throw InputError(what, "depth prior holds negative, NaN or infinite values");
  return map.contiguous();
}

}  // namespace

at::Tensor resize_nearest(const at::Tensor& map, int64_t height, int64_t width) {
  if (map.size(0) == height && map.size(1) == width) return map;
  const auto index = [](int64_t from, int64_t to) {
    return ((at::arange(to, at::kDouble) + 0.5) * (double(from) / double(to))).floor().clamp_max(from - 1).to(at::kLong);
  };
  return map.index_select(0, index(map.size(0), height)).index_select(1, index(map.size(1), width));
}

std::vector<at::Tensor> read_depth_priors(const io::Dataset& ds, const std::vector<size_t>& frames,
                                          const std::string& dir) {
  if (!io::is_directory(dir)) throw InputError(dir, "no such folder (--depth expects a folder of depth maps)");
  std::vector<at::Tensor> priors(ds.frames.size());
  for (size_t i : frames) {
    const std::string stem = std::filesystem::path(ds.frames[i].name).stem().string();
    const std::string npy = io::join_path(dir, stem + ".npy"), png = io::join_path(dir, stem + ".png");
    Image img;
    std::string path;
    if (io::file_exists(npy)) {
      path = npy;
      img = io::read_npy_image(npy);
    } else if (io::file_exists(png)) {
      path = png;
      const io::DecodedImage d = io::read_image(png);
      if (d.color.channels != 1) throw InputError(png, "depth PNG must have a single channel");
      img = d.color;
    } else {
      throw InputError(npy, "no depth prior for frame '" + ds.frames[i].name + "' (.npy or .png)");
    }
    priors[i] = checked_prior(model::to_tensor(img).squeeze(2), ds.frames[i], path);
  }
  return priors;
}

std::vector<at::Tensor> predict_depth_priors(const io::Dataset& ds, const std::vector<size_t>& frames,
                                             const std::string& model_path, bool outputs_disparity) {
  torch::jit::Module module = model::load_torchscript(model_path, "--depth-model");
  c10::NoGradGuard no_grad;
  std::vector<at::Tensor> priors(ds.frames.size());
  for (size_t i : frames) {
    const at::Tensor rgb = model::to_tensor(ds.frames[i].image).permute({2, 0, 1}).unsqueeze(0).contiguous();
    at::Tensor out;
    try {
      out = module.forward({rgb}).toTensor();
    } catch (const c10::Error& e) {
      throw InputError(model_path, "depth model failed on '" + ds.frames[i].name + "': " + e.what_without_backtrace());
    }
    while (out.dim() > 2 && out.size(0) == 1) out = out.squeeze(0);
    if (out.dim() != 2) throw InputError(model_path, "depth model output is not one map per image");
    out = out.to(at::kFloat);
    if (outputs_disparity) out = at::where(out > 0, 1 / out, at::zeros_like(out));
    priors[i] = checked_prior(out, ds.frames[i], model_path);
  }
  return priors;
}

}  // namespace ttgs::refine
