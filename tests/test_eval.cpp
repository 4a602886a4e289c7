// Metrics and evaluation: known values, and a scene evaluated against renderings of itself.
#include <gtest/gtest.h>

#include <torch/script.h>

#include <cmath>

#include "core/error.hpp"
#include "eval/appearance_halves.hpp"
#include "eval/evaluate.hpp"
#include "eval/metrics.hpp"
#include "io/image_io.hpp"
#include "io/ply.hpp"
#include "model/appearance.hpp"
#include "model/init.hpp"
#include "model/tensor_image.hpp"
#include "scene_fixture.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

TEST(Metrics, PsnrKnownValuesAndMask) {
  const at::Tensor a = at::zeros({4, 4, 3});
  EXPECT_NEAR(eval::psnr(a, a + 0.1), 20.0, 1e-5);  // MSE 0.01 (in float32)
  EXPECT_TRUE(std::isinf(eval::psnr(a, a)));
  at::Tensor b = a.clone();
  b[0][0] = at::ones({3});  // one wrong pixel
  at::Tensor mask = at::ones({4, 4, 1});
  mask[0][0] = 0;
  EXPECT_TRUE(std::isinf(eval::psnr(a, b, mask)));
  EXPECT_NEAR(eval::psnr(a, b), -10 * std::log10(1.0 / 16), 1e-9);
  EXPECT_NEAR(eval::ssim(a + 0.5, a + 0.5), 1.0, 1e-6);
}

TEST(Evaluate, SceneAgainstRenderingsOfItselfAndAgainstThePhotos) {
  test::TempDir dir;
  synth::write_synth_dataset(test::small_object_scene(6, 4000), dir / "scene");
  io::Dataset ds = io::load_dataset(dir / "scene", {});
  const model::Gaussians g = model::init_from_points(*ds.points, {});
  const std::vector<size_t> all = eval::split_frames(ds, eval::Split::All, "x");
  ASSERT_EQ(all.size(), 8u);
  // Against the ray-traced photos: a fresh initialization is far from them.
  const eval::EvalReport photos = eval::evaluate(g, ds, ds.test, {});
  ASSERT_EQ(photos.images.size(), 2u);
  EXPECT_LT(photos.psnr, 25.0);
  // Against its own renderings written as 8-bit PNGs: only quantization separates them.
  for (const io::Frame& f : ds.frames)
    io::write_png(dir / ("scene/" + f.name), model::from_tensor(eval::render_frame(g, f, {})));
  ds = io::load_dataset(dir / "scene", {});
  const eval::EvalReport self = eval::evaluate(g, ds, all, {});
  EXPECT_GT(self.psnr, 50.0);
  EXPECT_GT(self.ssim, 0.999);
  EXPECT_NE(self.to_json().find("\"per_image\""), std::string::npos);
  EXPECT_THROW(eval::parse_split("validation"), InputError);
}

// The held-out-half protocol: an affine colour change of the photos is recovered from the left half alone (closed
// form), so the right half scores as if there were none; the model's plain render scores low there.
TEST(Evaluate, AppearanceFittedOnTheLeftHalfScoresTheRightHalf) {
  at::manual_seed(3);
  const at::Tensor rendered = at::rand({24, 32, 3});
  at::Tensor transform = at::tensor({0.8f, 0.1f, 0.0f, 0.05f, 0.0f, 1.2f, -0.1f, 0.02f, 0.1f, 0.0f, 0.7f, -0.03f}).view({3, 4});
  const at::Tensor photo = model::apply_appearance(rendered, transform);
  at::Tensor left = at::zeros({24, 32, 1});
  left.slice(1, 0, 16).fill_(1);
  const at::Tensor fitted = eval::fit_affine_colour(rendered, photo, left);
  EXPECT_LT((fitted - transform).abs().max().item<double>(), 1e-4);
  // Pixels outside the weight do not count: a corrupted right half leaves the fit unchanged.
  at::Tensor corrupted = photo.clone();
  corrupted.slice(1, 16, 32).fill_(0.5f);
  EXPECT_LT((eval::fit_affine_colour(rendered, corrupted, left) - transform).abs().max().item<double>(), 1e-4);
  // A constant render cannot determine the map: the fit stays near the identity instead of blowing up.
  const at::Tensor flat = eval::fit_affine_colour(at::full({24, 32, 3}, 0.5f), photo, left);
  EXPECT_TRUE(flat.isfinite().all().item<bool>());
  EXPECT_LT(flat.abs().max().item<double>(), 2.0);
}

// LPIPS comes only from a TorchScript model; a stand-in model (mean absolute difference of its [-1, 1] inputs, built
// with Module::define) checks the plumbing: input layout, scaling and averaging.
TEST(Evaluate, LpipsFromATorchScriptModel) {
  test::TempDir dir;
  torch::jit::Module stub("LpipsStub");
  stub.define("def forward(self, a, b):\n  return (a - b).abs().mean() + 0.0 * a.size(1)\n");
  stub.save(dir / "lpips.pt");
  const eval::LpipsModel model(dir / "lpips.pt");
  const at::Tensor x = at::rand({8, 6, 3}), y = at::rand({8, 6, 3});
  EXPECT_NEAR(model.distance(x, y), 2 * (x - y).abs().mean().item<double>(), 1e-6);

  synth::write_synth_dataset(test::small_object_scene(4, 2000), dir / "scene");
  const io::Dataset ds = io::load_dataset(dir / "scene", {});
  const model::Gaussians g = model::init_from_points(*ds.points, {});
  const eval::EvalReport with = eval::evaluate(g, ds, ds.test, {}, &model);
  ASSERT_TRUE(with.has_lpips);
  double expected = 0;
  for (size_t i : ds.test)
    expected += 2 * (eval::render_frame(g, ds.frames[i], {}) - model::to_tensor(ds.frames[i].image)).abs().mean().item<double>();
  EXPECT_NEAR(with.lpips, expected / double(ds.test.size()), 1e-5);
  const eval::EvalReport without = eval::evaluate(g, ds, ds.test, {});
  EXPECT_FALSE(without.has_lpips);
  EXPECT_NE(without.to_json().find("\"lpips\":null"), std::string::npos);
  // Not TorchScript: a clear error naming the file.
  test::write_text(dir / "bad.pt", "not a model");
  try {
    eval::LpipsModel bad(dir / "bad.pt");
    ADD_FAILURE() << "loaded a text file as a model";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.pt"), std::string::npos);
  }
  // A model whose output is not one number is refused.
  torch::jit::Module wrong("Wrong");
  wrong.define("def forward(self, a, b):\n  return a - b\n");
  wrong.save(dir / "wrong.pt");
  EXPECT_THROW(eval::LpipsModel(dir / "wrong.pt").distance(x, y), InputError);
}

}  // namespace
}  // namespace ttgs
