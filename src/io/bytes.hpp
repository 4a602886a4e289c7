#pragma once
// Little-endian byte packing for the binary splat formats: append to a string, read from one with bounds checks.
#include <cstdint>
#include <cstring>
#include <string>

#include "core/error.hpp"

namespace ttgs::io {

class ByteWriter {
 public:
  template <typename T>
  void put(T value) {  // host order: every machine ttgs targets is little-endian
    char raw[sizeof(T)];
    std::memcpy(raw, &value, sizeof(T));
    bytes_.append(raw, sizeof(T));
  }
  void put_bytes(const std::string& b) { bytes_ += b; }
  void pad_to(size_t multiple, char fill) {
    while (bytes_.size() % multiple != 0) bytes_.push_back(fill);
  }
  size_t size() const { return bytes_.size(); }
  std::string& bytes() { return bytes_; }

 private:
  std::string bytes_;
};

class ByteReader {
 public:
  ByteReader(const std::string& bytes, std::string name, size_t offset = 0)
      : bytes_(bytes), name_(std::move(name)), offset_(offset) {}
  template <typename T>
  T get() {
    need(sizeof(T));
    T value;
    std::memcpy(&value, bytes_.data() + offset_, sizeof(T));
    offset_ += sizeof(T);
    return value;
  }
  uint8_t byte() { return get<uint8_t>(); }
  void need(size_t n) const {
    if (offset_ > bytes_.size() || n > bytes_.size() - offset_) throw InputError(name_, "truncated: needs " + std::to_string(n) +
                                                                 " more bytes at offset " + std::to_string(offset_));
  }
  void skip(size_t n) { need(n), offset_ += n; }
  size_t offset() const { return offset_; }
  size_t remaining() const { return offset_ < bytes_.size() ? bytes_.size() - offset_ : 0; }
  const std::string& name() const { return name_; }

 private:
  const std::string& bytes_;
  std::string name_;
  size_t offset_;
};

}  // namespace ttgs::io
