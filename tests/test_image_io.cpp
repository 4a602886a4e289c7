#include <gtest/gtest.h>

#include <cmath>

#include "core/error.hpp"
#include "core/image.hpp"
#include "io/image_io.hpp"
#include "io/npy.hpp"
#include "test_util.hpp"

namespace ttgs {
namespace {

Image gradient_image(int w, int h, int c) {
  Image img(w, h, c);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int k = 0; k < c; ++k) img.at(x, y, k) = float((x * 7 + y * 13 + k * 50) % 256) / 255.f;
  return img;
}

TEST(ImageIO, Png8RoundTripAllChannelCounts) {
  test::TempDir dir;
  for (int c : {1, 3, 4}) {
    const Image img = gradient_image(13, 7, c);
    const std::string p = dir / ("img" + std::to_string(c) + ".png");
    io::write_png(p, img);
    const io::DecodedImage d = io::read_image(p);
    EXPECT_EQ(d.bit_depth, 8);
    EXPECT_EQ(d.color.width, 13);
    EXPECT_EQ(d.color.height, 7);
    EXPECT_EQ(d.color.channels, c == 1 ? 1 : 3);
    EXPECT_EQ(d.alpha.has_value(), c == 4);
    for (int y = 0; y < 7; ++y)
      for (int x = 0; x < 13; ++x)
        for (int k = 0; k < d.color.channels; ++k) EXPECT_FLOAT_EQ(d.color.at(x, y, k), img.at(x, y, k));
  }
}

TEST(ImageIO, Png16KeepsFullPrecision) {
  test::TempDir dir;
  Image img(5, 3, 1);
  for (size_t i = 0; i < img.data.size(); ++i) img.data[i] = float(i * 4099 % 65536) / 65535.f;
  io::write_png(dir / "d.png", img, 16);
  const io::DecodedImage d = io::read_image(dir / "d.png");
  EXPECT_EQ(d.bit_depth, 16);
  for (size_t i = 0; i < img.data.size(); ++i) EXPECT_NEAR(d.color.data[i], img.data[i], 0.5 / 65535.0);
}

TEST(ImageIO, AlphaCompositesOverBackground) {
  test::TempDir dir;
  Image img(2, 1, 4);
  img.at(0, 0, 0) = 1.f;  // red, fully opaque
  img.at(0, 0, 3) = 1.f;
  img.at(1, 0, 1) = 1.f;  // green, transparent
  img.at(1, 0, 3) = 0.f;
  io::write_png(dir / "a.png", img);
  const float white[3] = {1, 1, 1};
  const Image rgb = io::read_rgb_image(dir / "a.png", white);
  EXPECT_FLOAT_EQ(rgb.at(0, 0, 0), 1.f);
  EXPECT_FLOAT_EQ(rgb.at(0, 0, 1), 0.f);
  EXPECT_FLOAT_EQ(rgb.at(1, 0, 0), 1.f);  // the background shows through
  EXPECT_FLOAT_EQ(rgb.at(1, 0, 2), 1.f);
}

TEST(ImageIO, GrayExpandsToRgb) {
  test::TempDir dir;
  io::write_png(dir / "g.png", gradient_image(4, 4, 1));
  const float black[3] = {0, 0, 0};
  const Image rgb = io::read_rgb_image(dir / "g.png", black);
  ASSERT_EQ(rgb.channels, 3);
  EXPECT_FLOAT_EQ(rgb.at(2, 3, 0), rgb.at(2, 3, 2));
}

TEST(ImageIO, DecodesRealJpeg) {
  TTGS_REQUIRE_SHARED("fox/images/0001.jpg");
  const io::DecodedImage d = io::read_image(test::shared_data("fox/images/0001.jpg"));
  EXPECT_EQ(d.color.width, 1080);
  EXPECT_EQ(d.color.height, 1920);
  EXPECT_EQ(d.color.channels, 3);
  double mean = 0;
  for (float v : d.color.data) mean += v;
  mean /= double(d.color.data.size());
  EXPECT_GT(mean, 0.05);
  EXPECT_LT(mean, 0.95);
}

TEST(ImageIO, BadImagesFailWithThePath) {
  test::TempDir dir;
  test::write_text(dir / "empty.png", "");
  test::write_text(dir / "junk.png", "this is not an image at all");
  for (const std::string name : {"empty.png", "junk.png", "missing.png"}) {
    try {
      io::read_image(dir / name);
      FAIL() << name << " decoded";
    } catch (const InputError& e) {
      EXPECT_EQ(e.path(), dir / name);
    }
  }
}

TEST(Npy, RoundTripAndDtypes) {
  test::TempDir dir;
  Image img(4, 3, 1);
  for (size_t i = 0; i < img.data.size(); ++i) img.data[i] = 0.25f * float(i);
  io::write_npy_float32(dir / "d.npy", img);
  const Image back = io::read_npy_image(dir / "d.npy");
  EXPECT_EQ(back.width, 4);
  EXPECT_EQ(back.height, 3);
  EXPECT_EQ(back.data, img.data);
  // A big-endian uint16 array written by hand.
  std::string header = "{'descr': '>u2', 'fortran_order': False, 'shape': (1, 2), }";
  std::string bytes("\x93NUMPY\x01\x00", 8);
  bytes.push_back(char(header.size()));
  bytes.push_back(0);
  bytes += header;
  bytes += std::string("\x01\x02\x00\x05", 4);
  const Image be = io::parse_npy_image(bytes, "be.npy");
  EXPECT_FLOAT_EQ(be.data[0], 258.f);
  EXPECT_FLOAT_EQ(be.data[1], 5.f);
  EXPECT_THROW(io::parse_npy_image(bytes.substr(0, bytes.size() - 1), "t.npy"), InputError);
}

TEST(Resample, AreaNearestAndMinimum) {
  Image img(4, 4, 1);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) img.at(x, y) = float(y * 4 + x);
  const Image a = downscale_area(img, 2);
  EXPECT_FLOAT_EQ(a.at(0, 0), (0 + 1 + 4 + 5) / 4.f);
  EXPECT_FLOAT_EQ(a.at(1, 1), (10 + 11 + 14 + 15) / 4.f);
  const Image n = downscale_nearest(img, 2);
  EXPECT_FLOAT_EQ(n.at(0, 0), 5.f);  // a real sample, never a blend
  // A one-pixel-wide excluded line survives any downscale of a mask.
  Image mask(64, 64, 1, 1.f);
  for (int y = 0; y < 64; ++y) mask.at(37, y) = 0.f;
  for (int f : {2, 3, 4, 8}) {
    const Image m = downscale_min(mask, f);
    int zeros = 0;
    for (float v : m.data) {
      EXPECT_TRUE(v == 0.f || v == 1.f);
      zeros += v == 0.f;
    }
    EXPECT_EQ(zeros, m.height) << "factor " << f;
  }
}

TEST(Resample, EightBitKeepsValuesWithinHalfAStep) {
  Image img(6, 4, 3);
  for (size_t i = 0; i < img.data.size(); ++i) img.data[i] = float(i % 97) / 96.f;
  img.data[0] = -0.2f;  // clamped
  img.data[1] = 1.7f;
  const Image8 q = to_8bit(img);
  const Image back = to_float(q);
  EXPECT_EQ(q.data[0], 0);
  EXPECT_EQ(q.data[1], 255);
  for (size_t i = 2; i < img.data.size(); ++i) EXPECT_NEAR(back.data[i], img.data[i], 0.5f / 255 + 1e-6f) << i;
  // The 8-bit area filter rounds each block's mean; the minimum keeps a mask's 0 and 255 exactly.
  const Image8 a = downscale_area(q, 2);
  ASSERT_EQ(a.width, 3);
  const float mean = (q.at(2, 0, 1) + q.at(3, 0, 1) + q.at(2, 1, 1) + q.at(3, 1, 1)) / 4.f;
  EXPECT_EQ(a.at(1, 0, 1), uint8_t(std::lround(mean)));
  Image8 mask(8, 8, 1, 255);
  mask.at(5, 6) = 0;
  const Image8 m = downscale_min(mask, 4);
  EXPECT_EQ(m.at(1, 1), 0);
  EXPECT_EQ(m.at(0, 0), 255);
}

}  // namespace
}  // namespace ttgs
