// The fused SSIM against the LibTorch reference and against finite differences.
#include <gtest/gtest.h>

#include "loss/photometric.hpp"

namespace ttgs {
namespace {

TEST(Ssim, FusedMatchesReferenceValueAndGradient) {
  at::manual_seed(3);
  for (const auto dtype : {at::kFloat, at::kDouble}) {
    for (const auto& size : std::vector<std::array<int64_t, 3>>{{23, 31, 3}, {7, 5, 1}, {40, 12, 3}}) {
      const at::Tensor y = at::rand({size[0], size[1], size[2]}, at::TensorOptions().dtype(dtype));
      // A rendering that resembles the target (SSIM near 1) and one that does not.
      for (double noise : {0.05, 0.5}) {
        const at::Tensor x0 = (y + noise * at::randn_like(y)).clamp(0, 1);
        at::Tensor xa = x0.clone().requires_grad_(true), xb = x0.clone().requires_grad_(true);
        const at::Tensor fused = loss::ssim(xa, y), ref = loss::ssim_reference(xb, y);
        const double tol = dtype == at::kFloat ? 2e-5 : 1e-12;
        EXPECT_NEAR(fused.item<double>(), ref.item<double>(), tol);
        fused.backward();
        ref.backward();
        const double scale = xb.grad().abs().max().item<double>();
        EXPECT_GT(scale, 0);
        EXPECT_LT((xa.grad() - xb.grad()).abs().max().item<double>(), (dtype == at::kFloat ? 1e-4 : 1e-10) * scale);
      }
    }
  }
}

TEST(Ssim, GradientMatchesCentralFiniteDifferences) {
  at::manual_seed(4);
  const at::Tensor y = at::rand({9, 13, 3}, at::kDouble);
  at::Tensor x = (y + 0.2 * at::randn_like(y)).requires_grad_(true);
  loss::ssim(x, y).backward();
  const at::Tensor grad = x.grad().reshape({-1});
  at::Tensor flat = x.detach().view({-1});
  const double h = 1e-6;
  for (int64_t idx : {0L, 5L, 17L, 100L, 200L, 350L}) {
    const double v = flat[idx].item<double>();
    flat[idx] = v + h;
    const double lp = loss::ssim(x.detach(), y).item<double>();
    flat[idx] = v - h;
    const double lm = loss::ssim(x.detach(), y).item<double>();
    flat[idx] = v;
    const double fd = (lp - lm) / (2 * h);
    EXPECT_NEAR(grad[idx].item<double>(), fd, 1e-7 + 1e-5 * std::abs(fd)) << idx;
  }
}

// The fused photometric loss (L1 and SSIM in one kernel each way) against the same loss from plain LibTorch ops.
TEST(Photometric, FusedMatchesLibTorchValueAndGradient) {
  at::manual_seed(5);
  for (const auto dtype : {at::kFloat, at::kDouble}) {
    const at::Tensor y = at::rand({19, 27, 3}, at::TensorOptions().dtype(dtype));
    at::Tensor x0 = (y + 0.1 * at::randn_like(y)).clamp(0, 1);
    x0.view({-1}).slice(0, 0, 10).copy_(y.view({-1}).slice(0, 0, 10));  // ties: |x − y| has gradient 0 there
    for (const double lambda : {0.2, 0.0, 1.0}) {
      at::Tensor xa = x0.clone().requires_grad_(true), xb = x0.clone().requires_grad_(true);
      const at::Tensor fused = loss::photometric(xa, y, lambda);
      const at::Tensor ref = (1 - lambda) * (xb - y).abs().mean() + lambda * (1 - loss::ssim_reference(xb, y));
      EXPECT_NEAR(fused.item<double>(), ref.item<double>(), dtype == at::kFloat ? 2e-5 : 1e-12) << lambda;
      fused.backward();
      ref.backward();
      const double scale = xb.grad().abs().max().item<double>();
      EXPECT_GT(scale, 0);
      EXPECT_LT((xa.grad() - xb.grad()).abs().max().item<double>(), (dtype == at::kFloat ? 1e-4 : 1e-10) * scale)
          << lambda;
    }
  }
}

TEST(Ssim, IdenticalImagesScoreOneAndPhotometricIsZero) {
  const at::Tensor y = at::rand({16, 16, 3});
  EXPECT_NEAR(loss::ssim(y, y).item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(loss::photometric(y, y).item<double>(), 0.0, 1e-6);
  EXPECT_GT(loss::photometric(y, 1 - y).item<double>(), 0.1);
  EXPECT_THROW(loss::ssim(y, y.slice(0, 0, 8)), std::invalid_argument);
}

}  // namespace
}  // namespace ttgs
