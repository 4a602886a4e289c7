// The shared training core: the 8-bit view cache, the view sampler, Adam over tensor groups, the learning-rate
// schedule and the divergence guard.
#include <c10/core/GradMode.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "io/dataset.hpp"
#include "model/tensor_archive.hpp"
#include "model/tensor_image.hpp"
#include "optim/adam.hpp"
#include "optim/schedule.hpp"
#include "train/divergence_guard.hpp"
#include "train/view_cache.hpp"
#include "train/view_sampler.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

// A dataset of `n` frames with random float photos (not multiples of 1/255) and a mask on frame 1.
io::Dataset random_dataset(int n, int w, int h) {
  io::Dataset ds;
  ds.path = "memory";
  at::manual_seed(3);
  for (int i = 0; i < n; ++i) {
    io::Frame f;
    f.name = "f" + std::to_string(i);
    f.camera.width = w;
    f.camera.height = h;
    f.camera.fx = f.camera.fy = 50;
    f.camera.cx = w / 2.0;
    f.camera.cy = h / 2.0;
    f.image = to_8bit(model::from_tensor(at::rand({h, w, 3})));
    if (i == 1) {
      Image8 mask(w, h, 1, 255);
      mask.at(3, 2) = 0;  // one ignored pixel
      f.mask = std::make_shared<const Image8>(mask);
    }
    ds.frames.push_back(f);
    ds.train.push_back(size_t(i));
  }
  return ds;
}

TEST(ViewCache, AtFullSizeReadsTheDatasetsEightBitPixelsWithoutACopy) {
  const io::Dataset ds = random_dataset(3, 16, 12);
  const train::ViewCache cache(ds, {0, 1});
  EXPECT_TRUE(cache.has(0));
  EXPECT_FALSE(cache.has(2));
  EXPECT_THROW(cache.photo(2), std::out_of_range);
  const at::Tensor photo = cache.photo(0);
  EXPECT_EQ(photo.scalar_type(), at::kFloat);
  EXPECT_TRUE(at::equal(photo, model::to_tensor(ds.frames[0].image)));
  EXPECT_EQ(photo.max().item<float>(), ds.frames[0].image.data[size_t(photo.argmax().item<int64_t>())] / 255.f);
  EXPECT_FALSE(cache.mask(0).defined());
  const at::Tensor mask = cache.mask(1);
  ASSERT_TRUE(mask.defined());
  EXPECT_EQ(mask.sizes(), at::IntArrayRef({12, 16, 1}));
  EXPECT_EQ(mask[2][3][0].item<float>(), 0.f);
  EXPECT_EQ(mask.sum().item<float>(), 16 * 12 - 1);
  EXPECT_EQ(cache.bytes(), 0);  // nothing of its own: the dataset's pixels
}

TEST(ViewCache, DownscalesLikeTheLoaderAndScalesTheCamera) {
  const io::Dataset ds = random_dataset(2, 16, 12);
  const train::ViewCache cache(ds, {1}, 4);
  const at::Tensor photo = cache.photo(1);
  ASSERT_EQ(photo.sizes(), at::IntArrayRef({3, 4, 3}));
  const at::Tensor block = model::to_tensor(ds.frames[1].image).slice(0, 4, 8).slice(1, 8, 12).mean(at::IntArrayRef{0, 1});
  EXPECT_LE((photo[1][2] - block).abs().max().item<double>(), 0.5 / 255 + 1e-6);
  EXPECT_EQ(cache.mask(1)[0][0][0].item<float>(), 0.f);  // block minimum: the ignored pixel (3, 2) wins its block
  EXPECT_EQ(cache.camera(1).width, 4);
  EXPECT_NEAR(cache.camera(1).fx, 12.5, 1e-12);
  EXPECT_EQ(cache.bytes(), 4 * 3 * 3 + 4 * 3);  // its own downscaled copy, one byte per value
}

// A lazily loaded dataset (photos decoded when used, a byte budget for the decoded ones) gives the loops the same
// photos and masks as an eager one, at any factor, and keeps at most its budget.
TEST(ViewCache, LazilyLoadedFramesGiveTheSamePixelsWithinTheirBudget) {
  test::TempDir dir;
  test::write_random_frames(dir.path(), 4, 16, 12, "\"fl_x\": 20, \"cx\": 8, \"cy\": 6",
                            [](int i) { return i == 1 ? ", \"mask_path\": \"m1.png\"" : ""; });
  Image mask(16, 12, 1, 1.f);
  mask.at(3, 2) = 0.f;
  test::write_png(dir / "m1.png", mask);
  io::LoadOptions options;
  options.test_every = 0;
  const io::Dataset eager = io::load_dataset(dir.path(), options);
  options.lazy_above_bytes = 800;  // one frame's photo and mask (576 + 192 bytes), not two
  const io::Dataset lazy = io::load_dataset(dir.path(), options);
  ASSERT_TRUE(lazy.frames[0].image.empty());
  for (int factor : {1, 2}) {
    const train::ViewCache a(eager, eager.train, factor), b(lazy, lazy.train, factor);
    b.prefetch(3);  // decoded on a background thread, picked up below
    for (size_t i : {3, 0, 1, 2, 1}) {
      ASSERT_TRUE(b.has(i));
      EXPECT_TRUE(at::equal(a.photo(i), b.photo(i))) << "frame " << i << " factor " << factor;
      EXPECT_EQ(a.mask(i).defined(), b.mask(i).defined());
      if (a.mask(i).defined()) {
        EXPECT_TRUE(at::equal(a.mask(i), b.mask(i)));
      }
      EXPECT_EQ(a.camera(i).width, b.camera(i).width);
      EXPECT_LE(b.bytes(), 800);
      EXPECT_GT(b.bytes(), 0);
    }
  }
}

TEST(ViewSampler, VisitsEveryViewOncePerEpochAndResumesIdentically) {
  train::ViewSampler a({2, 5, 7, 9}, 11);
  std::multiset<size_t> epoch;
  for (int k = 0; k < 4; ++k) epoch.insert(a.next());
  EXPECT_EQ(epoch, (std::multiset<size_t>{2, 5, 7, 9}));
  a.next();  // into the second epoch
  train::ViewSampler b({2, 5, 7, 9}, 999);
  b.restore(a.generator_state(), a.remaining());
  for (int k = 0; k < 9; ++k) EXPECT_EQ(a.next(), b.next());
  EXPECT_THROW(b.restore(a.generator_state(), {3}), std::invalid_argument);
}

TEST(Adam, GroupsHavePerEntryRatesAndRoundTripThroughAnArchive) {
  at::Tensor x = at::zeros({2, 3}), y = at::zeros({4});
  optim::Adam adam;
  adam.add_group("x", x, 0.1);
  adam.add_group("y", y, 0.5);
  adam.set_lr_factors(0, at::tensor({1.0f, 0.0f}).reshape({2, 1}));  // row 1 frozen
  x.mutable_grad() = at::ones({2, 3});
  y.mutable_grad() = -at::ones({4});
  adam.step({&x, &y});
  // The first step moves each entry by lr · sign(grad).
  EXPECT_NEAR(x[0][0].item<double>(), -0.1, 1e-6);
  EXPECT_EQ(x[1][0].item<double>(), 0.0);
  EXPECT_NEAR(y[2].item<double>(), 0.5, 1e-6);
  model::TensorArchive archive;
  adam.save(archive, "adam.");
  optim::Adam restored;
  restored.add_group("x", x, 0);
  restored.add_group("y", y, 0);
  restored.load(archive, "adam.");
  EXPECT_EQ(restored.steps(), 1);
  EXPECT_EQ(restored.lr(1), 0.5);
  // The same second step from the same state.
  at::Tensor x2 = x.clone(), y2 = y.clone();
  x2.mutable_grad() = at::ones({2, 3});
  y2.mutable_grad() = at::ones({4});
  y.mutable_grad() = at::ones({4});
  adam.set_lr_factors(0, {});
  adam.step({&x, &y});
  restored.step({&x2, &y2});
  EXPECT_TRUE(x.equal(x2));
  EXPECT_TRUE(y.equal(y2));
  optim::Adam other;
  other.add_group("x", x, 0);
  EXPECT_THROW(other.load(archive, "adam."), std::exception);
}

TEST(Schedule, ExponentialDecayAndDrops) {
  EXPECT_NEAR(optim::exponential_decay(1e-2, 1e-4, 0, 100), 1e-2, 1e-12);
  EXPECT_NEAR(optim::exponential_decay(1e-2, 1e-4, 50, 100), 1e-3, 1e-12);
  EXPECT_NEAR(optim::exponential_decay(1e-2, 1e-4, 100, 100), 1e-4, 1e-12);
  const optim::Schedule drops{1.0, {0.4, 0.6, 0.8, 0.9}, 0.5};
  EXPECT_EQ(drops.factor(40, 100), 1.0);
  EXPECT_EQ(drops.factor(41, 100), 0.5);
  EXPECT_EQ(drops.factor(85, 100), 0.125);
  EXPECT_EQ(drops.factor(100, 100), 0.0625);
  const optim::Schedule both{0.01, {0.5}, 0.1};
  EXPECT_NEAR(both.factor(50, 100), 0.1, 1e-12);
  EXPECT_NEAR(both.factor(51, 100), 0.1 * std::pow(0.01, 0.51), 1e-12);
}

TEST(DivergenceGuard, RollsBackToTheLastFiniteSnapshotHalvesRatesAndGivesUp) {
  at::Tensor p = at::ones({3}).requires_grad_(true);
  optim::Adam adam;
  adam.add_group("p", p, 0.1);
  train::DivergenceGuard guard({2, 2}, {&p}, adam, 0);
  p.mutable_grad() = at::ones({3});
  adam.step({&p});
  EXPECT_TRUE(guard.check(1, {&p}, adam));  // not due: no snapshot
  EXPECT_EQ(guard.kept_step(), 0);
  EXPECT_TRUE(guard.check(2, {&p}, adam));  // due, finite: kept
  EXPECT_EQ(guard.kept_step(), 2);
  const at::Tensor good = p.detach().clone();
  {
    c10::NoGradGuard ng;
    p[1] = NAN;
  }
  EXPECT_FALSE(guard.check(4, {&p}, adam));
  EXPECT_TRUE(p.equal(good));
  EXPECT_TRUE(p.requires_grad());
  EXPECT_EQ(adam.steps(), 1);
  EXPECT_EQ(guard.lr_scale(), 0.5);
  guard.roll_back(5, "the loss became nan", {&p}, adam);
  EXPECT_EQ(guard.lr_scale(), 0.25);
  EXPECT_THROW(guard.roll_back(6, "the loss became nan", {&p}, adam), std::runtime_error);
}

}  // namespace
}  // namespace ttgs
