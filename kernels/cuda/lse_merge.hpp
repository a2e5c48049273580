// LSE merge of a partial attention result into an accumulator (plan.hpp MergeOp):
//   init:  acc_o = part_o, acc_lse = part_lse
//   else:  m = max(acc_lse, part_lse); w_a = exp(acc_lse - m); w_p = exp(part_lse - m)
//          acc_o = (w_a acc_o + w_p part_o) / (w_a + w_p); acc_lse = m + log(w_a + w_p)
// A row whose part_lse is -inf (no key seen) leaves the accumulator unchanged.
#pragma once

#include <cuda_runtime_api.h>

#include "kernels/cuda/device_view.hpp"

namespace cpb {

// part_o: [B, S, H, D] of BF16/FP16/FP32; acc_o: [B, S, H, D] of FP32 or of part_o's type
// (merged in fp32, rounded to it once per merge); part_lse, acc_lse: FP32 [B, H, S, 1].
// One warp per (b, s, h) row.
void lse_merge(const DeviceView& part_o, const DeviceView& part_lse, const DeviceView& acc_o,
               const DeviceView& acc_lse, bool init, cudaStream_t stream);

}  // namespace cpb
