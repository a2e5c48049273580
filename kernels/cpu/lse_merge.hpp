// LSE merge of a partial attention result into an fp32 accumulator: the CPU form of the
// plan's MergeOp (bench/plan/plan.hpp gives the formula).
#pragma once

#include <string>

#include "kernels/cpu/tensor4.hpp"

namespace cpb {

// Why these shapes cannot be merged, or "". part_o, acc_o: [B, S, H, D]; part_lse,
// acc_lse: [B, H, S, 1].
std::string merge_shape_error(const Shape4& part_o, const Shape4& part_lse, const Shape4& acc_o,
                              const Shape4& acc_lse);

// init: acc = part. Otherwise, per (b, s, h) with m = max(acc_lse, part_lse):
//   w_a = exp(acc_lse - m), w_p = exp(part_lse - m),
//   acc_o = (w_a acc_o + w_p part_o) / (w_a + w_p), acc_lse = m + log(w_a + w_p).
// A side whose LSE is -inf (it saw no keys) has weight zero, so merging it changes
// nothing. fp32 throughout. Throws std::invalid_argument when merge_shape_error() is not
// empty.
void lse_merge(const Tensor4<const float>& part_o, const Tensor4<const float>& part_lse,
               const Tensor4<float>& acc_o, const Tensor4<float>& acc_lse, bool init);

}  // namespace cpb
