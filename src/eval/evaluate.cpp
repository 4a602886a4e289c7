#include "eval/evaluate.hpp"

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/progress.hpp"
#include "eval/metrics.hpp"
#include "model/tensor_image.hpp"

namespace ttgs::eval {

Split parse_split(const std::string& name) {
  if (name == "train") return Split::Train;
  if (name == "test") return Split::Test;
  if (name == "all") return Split::All;
  throw InputError("--split", "unknown split '" + name + "' (train, test or all)");
}

std::vector<size_t> split_frames(const io::Dataset& ds, Split split, const std::string& what) {
  std::vector<size_t> frames;
  if (split == Split::Train) frames = ds.train;
  else if (split == Split::Test) frames = ds.test;
  else
    for (size_t i = 0; i < ds.frames.size(); ++i) frames.push_back(i);
  if (frames.empty())
    throw InputError(what, std::string("the dataset has no ") + (split == Split::Test ? "test" : "") + " frames for this split (try --split all)");
  return frames;
}

const char* const kLpipsUnavailable = "unavailable: no TorchScript LPIPS model given (--lpips MODEL.pt)";

std::string EvalReport::to_json() const {
  nlohmann::json per = nlohmann::json::array();
  for (const ImageScore& s : images) {
    per.push_back({{"name", s.name}, {"psnr", s.psnr}, {"ssim", s.ssim}});
    if (has_lpips) per.back()["lpips"] = s.lpips;
  }
  nlohmann::json j{{"psnr", psnr}, {"ssim", ssim}, {"num_images", images.size()}, {"per_image", per}};
  if (has_lpips) j["lpips"] = lpips;
  else j["lpips"] = nullptr, j["lpips_note"] = kLpipsUnavailable;
  return j.dump();
}

at::Tensor render_frame(const model::Gaussians& g, const io::Frame& f, const render::RenderSettings& s) {
  at::NoGradGuard no_grad;
  return render::render(g, f.camera, s).rgb.clamp(0, 1);
}

EvalReport evaluate(const model::Gaussians& g, const io::Dataset& ds, const std::vector<size_t>& frames,
                    const render::RenderSettings& settings, const LpipsModel* lpips) {
  EvalReport r;
  r.has_lpips = lpips != nullptr;
  Progress progress("evaluating", int64_t(frames.size()));
  for (size_t i : frames) {
    const io::Frame& f = ds.frames[i];
    if (f.image.empty()) throw std::invalid_argument("evaluate: dataset loaded without pixels");
    const at::Tensor rendered = render_frame(g, f, settings);
    const at::Tensor photo = model::to_tensor(f.image);
    const at::Tensor mask = f.mask ? model::to_tensor(*f.mask) : at::Tensor();
    r.images.push_back({f.name, psnr(rendered, photo, mask), ssim(rendered, photo),
                        lpips ? lpips->distance(rendered, photo) : 0.0});
    progress.advance();
  }
  progress.finish();
  for (const ImageScore& s : r.images) {
    r.psnr += s.psnr / double(r.images.size());
    r.ssim += s.ssim / double(r.images.size());
    r.lpips += s.lpips / double(r.images.size());
  }
  return r;
}

}  // namespace ttgs::eval
