#include "bench/runtime/tolerance.hpp"

#include <cmath>

namespace cpb {

double unit_roundoff(DType t) {
  switch (t) {
    case DType::BF16: return std::ldexp(1.0, -8);
    case DType::FP16: return std::ldexp(1.0, -11);
    case DType::FP32: return std::ldexp(1.0, -24);
  }
  return 1;
}

double verify_tolerance(DType t, int64_t terms, int64_t D, double magnitude) {
  const double u32 = unit_roundoff(DType::FP32);
  return magnitude * (4 * unit_roundoff(t) + 4 * u32 * (2 * std::sqrt(static_cast<double>(terms)) + D));
}

}  // namespace cpb
