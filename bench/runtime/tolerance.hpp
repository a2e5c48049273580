// The verification tolerance, one rule for the CPU and the CUDA runtime (docs/METRICS.md,
// "Tolerance"):
//
//   tolerance = max|ref| * (4 u(t) + 4 u32 (2 sqrt(n_keys) + D))
//
// with t the precision the runtime stores operands and outputs in (fp32 on the CPU
// runtime, the problem's dtype on the GPU), u(t) its unit roundoff (bf16 2^-8, fp16 2^-11,
// fp32 2^-24), u32 = 2^-24 the unit roundoff of the fp32 accumulators, n_keys the keys a
// query row sees at most (S) and max|ref| the largest |reference| among the elements a rank
// checks. The first term covers the rounding of the output and of the probabilities
// (each <= u max|ref| in order of magnitude) with a factor 2 to spare; the second the fp32
// chains of the CPU kernel (key sums in blocks of sqrt(n_keys), about 2 sqrt(n_keys)
// terms, and D-term dot products) with a factor 4 to spare.
#pragma once

#include <cstdint>

#include "base/dtype.hpp"

namespace cpb {

double unit_roundoff(DType t);

// Tolerance [absolute] for outputs stored in `t`, rows of at most `keys` keys, head
// dimension D, and the largest |reference| checked.
double verify_tolerance(DType t, int64_t keys, int64_t D, double max_abs_ref);

}  // namespace cpb
