#pragma once
// Stable least-significant-digit radix sort of (key, value) pairs by an unsigned integer key, 8 bits a pass; a pass
// whose digit is the same for every key is skipped. O(n) per pass, for sorting many Gaussians by depth.
#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

namespace ttgs {

template <typename Key, typename Value>
void radix_sort_pairs(std::vector<Key>& keys, std::vector<Value>& values) {
  static_assert(std::is_unsigned_v<Key>, "radix_sort_pairs sorts unsigned keys");
  const size_t n = keys.size();
  std::vector<Key> key_tmp(n);
  std::vector<Value> value_tmp(n);
  for (unsigned shift = 0; shift < 8 * sizeof(Key); shift += 8) {
    std::array<size_t, 257> start{};
    for (const Key k : keys) ++start[((k >> shift) & 0xff) + 1];
    bool one_bucket = false;
    for (size_t d = 1; d <= 256; ++d) one_bucket |= start[d] == n;
    if (one_bucket) continue;
    for (size_t d = 1; d <= 256; ++d) start[d] += start[d - 1];
    for (size_t i = 0; i < n; ++i) {
      const size_t slot = start[(keys[i] >> shift) & 0xff]++;
      key_tmp[slot] = keys[i];
      value_tmp[slot] = values[i];
    }
    keys.swap(key_tmp);
    values.swap(value_tmp);
  }
}

}  // namespace ttgs
