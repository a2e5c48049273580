// Running comparison of computed values with reference values, for verification.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace cpb {

struct ErrorStats {
  double max_abs_err = 0;  // max |value - reference| over the finite values
  int64_t checked = 0;     // values compared
  bool nonfinite = false;  // a NaN or Inf value was seen
  double max_abs_ref = 0;  // max |reference|, for the tolerance (bench/runtime/tolerance.hpp)

  void add(double value, double reference) {
    ++checked;
    max_abs_ref = std::max(max_abs_ref, std::fabs(reference));
    if (!std::isfinite(value)) {
      nonfinite = true;
      return;
    }
    max_abs_err = std::max(max_abs_err, std::fabs(value - reference));
  }
};

}  // namespace cpb
