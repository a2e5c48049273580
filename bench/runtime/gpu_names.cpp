#include "bench/runtime/gpu_names.hpp"

namespace cpb {

std::string gpu_uuid_text(const unsigned char (&bytes)[16]) {
  static const char* const kHex = "0123456789abcdef";
  std::string s = "GPU-";
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) s += '-';
    s += kHex[bytes[i] >> 4];
    s += kHex[bytes[i] & 0xf];
  }
  return s;
}

std::string gpu_link_name(bool nvlink, int topology_level) {
  if (nvlink) return "NV";
  switch (topology_level) {
    case 0: return "internal";
    case 10: return "PIX";
    case 20: return "PXB";
    case 30: return "PHB";
    case 40: return "NODE";
    case 50: return "SYS";
    default: return "unknown";
  }
}

}  // namespace cpb
