// FNV-1a over 64 bits, the one hash the project uses for digests, cache file names and
// config hashes (not cryptographic: it tells contents apart, it does not guard them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace cpb {

constexpr uint64_t kFnv1a64Basis = 14695981039346656037ull;  // 0xcbf29ce484222325
constexpr uint64_t kFnv1a64Prime = 1099511628211ull;         // 0x100000001b3

// FNV-1a 64 of `n` bytes at `data`, continuing from `h` (the offset basis: a fresh hash).
inline uint64_t fnv1a64(const void* data, size_t n, uint64_t h = kFnv1a64Basis) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= kFnv1a64Prime;
  }
  return h;
}
inline uint64_t fnv1a64_text(std::string_view s, uint64_t h = kFnv1a64Basis) { return fnv1a64(s.data(), s.size(), h); }

// `h` as 16 lower-case hex digits.
inline std::string hex16(uint64_t h) {
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return hex;
}

}  // namespace cpb
