#include "bench/runtime.hpp"

namespace cpb {

const char* to_string(VerifyMode m) {
  switch (m) {
    case VerifyMode::Off: return "off";
    case VerifyMode::Full: return "full";
    case VerifyMode::Sampled: return "sampled";
  }
  return "?";
}

}  // namespace cpb
