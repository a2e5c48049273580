// The gradients of attention in fp32 on the GPU, row by row, from regenerated inputs and
// the rows' full statistics (kernels/cuda/reference_row_stats.hpp): the reference that
// verifies the backward pass on the GPU (bench/runtime/cuda/cuda_verify_gradients.hpp).
// The math of kernels/cpu/reference_attention_backward.hpp, in fp32: for query row i and
// key j it sees, p_ij = exp(scale q_i . k_j - lse_i), ds_ij = p_ij (dO_i . v_j - delta_i);
//   dQ_i = scale sum_j ds_ij k_j         over the keys j row i sees,
//   dK_j = scale sum_i ds_ij q_i,  dV_j = sum_i p_ij dO_i   over the query rows i that see j,
// and every element's rounding magnitude M (the formulas there), from delta's rounding
// scale r_i. No code in common with cuDNN or the runs checked.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/cuda/range_lists.hpp"

namespace cpb {

// One gradient row: its own vectors and statistics are row `src` of the fp32 row arrays
// it reads; its partners (keys for dQ, query rows for dK and dV) are list row `list` of a
// DeviceRangeLists, global tokens that index the partners' arrays.
struct GradRow {
  int64_t src = 0;
  int64_t list = 0;
};

// Scratch the row functions need for n rows of head dimension D [bytes].
size_t grad_rows_scratch_bytes(int64_t n, int64_t D);

// out[r, :] and mag[r, :] (fp32 [n, D]) = dQ of rows[r] and its rounding magnitudes: q,
// dout [., D], lse, delta, r [.] indexed by src; k, v [., D] by key token. scratch:
// grad_rows_scratch_bytes(n, D) bytes.
void reference_dq_rows(const GradRow* d_rows, int64_t n, const DeviceRangeLists& keys, const float* q,
                       const float* dout, const float* lse, const float* delta, const float* r, const float* k,
                       const float* v, int64_t D, float scale, void* scratch, float* out, float* mag,
                       cudaStream_t stream);

// The sums dK and dV rows gather over the query heads of their group [bytes]: dK, dV and
// the sums of squares of their magnitudes, fp32 [4, n, D]; zero them before the first head.
size_t dkv_accumulator_bytes(int64_t n, int64_t D);

// acc += one query head's share of the rows[r]' dK (scale sum_i ds_i q_i), dV (sum_i p_i
// dO_i) and magnitude sums over the query rows of rows[r]: k, v [., D] indexed by src; q,
// dout [., D], lse, delta, r [.] of the query head by query token (call once per query head
// of the group to sum over the group).
void reference_dkv_rows(const GradRow* d_rows, int64_t n, const DeviceRangeLists& queries, const float* k,
                        const float* v, const float* q, const float* dout, const float* lse, const float* delta,
                        const float* r, int64_t D, float scale, void* scratch, float* acc, cudaStream_t stream);

// dk, dv, mag_k, mag_v (fp32 [n, D]) from the accumulators of every head of the group.
void reference_dkv_finish(const float* acc, int64_t n, int64_t D, float* dk, float* dv, float* mag_k, float* mag_v,
                          cudaStream_t stream);

}  // namespace cpb
