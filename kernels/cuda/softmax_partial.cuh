// Partial softmax statistics on the device: a (max, sum of exp(s - max)) pair per set of
// scores, combined in any order. Included by .cu files only.
#pragma once

#include <cmath>

namespace cpb {

// Folds the pair (m2, l2) into (m, l); (-inf, 0) is the empty pair.
__device__ __forceinline__ void combine(float& m, float& l, float m2, float l2) {
  if (m2 == -INFINITY) return;
  if (m == -INFINITY) {
    m = m2;
    l = l2;
    return;
  }
  const float mx = fmaxf(m, m2);
  l = l * expf(m - mx) + l2 * expf(m2 - mx);
  m = mx;
}

}  // namespace cpb
