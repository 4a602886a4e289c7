// Metrics and evaluation: known values, and a scene evaluated against renderings of itself.
#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "eval/evaluate.hpp"
#include "eval/metrics.hpp"
#include "io/image_io.hpp"
#include "io/ply.hpp"
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

}  // namespace
}  // namespace ttgs
