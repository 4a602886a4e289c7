#pragma once
// PNG and JPEG decoding (8- or 16-bit; gray, gray+alpha, RGB, RGBA) to float images in [0, 1], PNG and JPEG writing.
#include <optional>
#include <string>

#include "core/image.hpp"

namespace ttgs::io {

struct DecodedImage {
  Image color;                 // 1 channel for gray sources, 3 for colour; alpha is split off
  std::optional<Image> alpha;  // present when the file had an alpha channel
  int bit_depth = 8;
};

// Decodes a PNG or JPEG file; InputError naming the path when missing, empty, or undecodable.
DecodedImage read_image(const std::string& path);
DecodedImage decode_image(const std::string& bytes, const std::string& name);

// RGB colour image in [0,1]. Alpha, when present, composites the colour over `background`
// (colour = rgb·a + background·(1 − a)), as Blender-style synthetic datasets expect; gray expands to RGB.
Image read_rgb_image(const std::string& path, const float background[3]);

// Writes an 8-bit (or 16-bit) PNG of a 1-, 3- or 4-channel image with values clamped to [0, 1]; atomic.
void write_png(const std::string& path, const Image& img, int bit_depth = 8);
// The same PNG file's bytes, in memory (`name` only names the image in errors).
std::string encode_png(const Image& img, int bit_depth = 8, const std::string& name = "image");
// Writes an 8-bit baseline JPEG (stb_image_write) of a 1- or 3-channel image with values clamped to
// [0, 1], at `quality` 1-100; atomic.
void write_jpeg(const std::string& path, const Image& img, int quality = 95);
// A 16-bit single-channel PNG of raw integer values (e.g. depth in units of a scale factor); atomic.
void write_png16_raw(const std::string& path, int width, int height, const std::vector<uint16_t>& values);

}  // namespace ttgs::io
