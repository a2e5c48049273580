// The verification tolerance, one rule for the CPU and the CUDA runtime (docs/METRICS.md,
// "Tolerance"):
//
//   tolerance = A * (4 u(t) + 4 u32 (2 sqrt(n) + D))
//
// with t the precision the runtime stores operands and outputs in (fp32 on the CPU
// runtime, the problem's dtype on the GPU), u(t) its unit roundoff (bf16 2^-8, fp16 2^-11,
// fp32 2^-24), u32 = 2^-24 the unit roundoff of the fp32 accumulators, n the terms of the
// longest sum (for O: the keys a query row sees at most, S) and A the magnitude of the
// checked elements: for O the largest |reference| a rank checks, for a gradient the
// largest rounding magnitude M of its checked elements
// (kernels/cpu/reference_attention_backward.hpp: the terms a low-precision backward rounds,
// added in quadrature; at least |reference|). The first term covers the rounding of the
// output and of the probabilities (for O each <= u max|ref| in order of magnitude) with a
// factor 2 to spare; the second the fp32 chains of the CPU kernel (key sums in blocks of
// sqrt(n), about 2 sqrt(n) terms, and D-term dot products) with a factor 4 to spare.
#pragma once

#include <cstdint>

#include "base/dtype.hpp"

namespace cpb {

double unit_roundoff(DType t);

// Tolerance [absolute] for outputs stored in `t`, sums of at most `terms` terms, head
// dimension D and magnitude A (above).
double verify_tolerance(DType t, int64_t terms, int64_t D, double magnitude);

}  // namespace cpb
