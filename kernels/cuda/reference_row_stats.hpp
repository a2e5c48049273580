// The full-row statistics of query rows in fp32 on the GPU, the inputs of the gradient
// reference (kernels/cuda/reference_attention_backward.hpp): for query row i over the keys
// j it sees,
//   lse_i   = log sum_j exp(scale q_i . k_j)          (natural log; -inf for no key)
//   delta_i = sum_d dO_i,d O_i,d,   O_i = sum_j exp(scale q_i . k_j - lse_i) v_j
//   r_i     = sqrt(sum_j (P_ij dP_ij)^2 + sum_d (dO_i,d O_i,d)^2),  dP_ij = dO_i . v_j
// (r_i: delta's rounding scale, kernels/cpu/reference_attention_backward.hpp) computed in
// chunks of query rows with cuBLAS fp32 GEMMs (pedantic math: no TF32): the scaled scores
// of a chunk against the keys its rows see, a row kernel that masks them by each row's key
// ranges and turns them into probabilities, P V in key slices summed in order, dO V^T, and
// row kernels forming delta and r. No code in common with cuDNN or the runs checked.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "base/cuda/device_buffer.hpp"
#include "kernels/cuda/cublas_handle.hpp"
#include "kernels/cuda/range_lists.hpp"
#include "kernels/input_values.hpp"

namespace cpb {

// dst [n, D] fp32 = input tensor t of batch b, head `head` at tokens d_tokens[0, n) (a
// device array; null: tokens 0 .. n-1). Exact: the inputs are bf16 values.
void generate_rows(Tensor t, int64_t b, int64_t head, const int64_t* d_tokens, int64_t n, int64_t D, float* dst,
                   cudaStream_t stream);

class RowStatistics {
 public:
  // Keys of S tokens, head dimension D (a multiple of 8 up to kRefMaxD), the softmax scale;
  // allocates scratch_bytes(S, D) on the current device. Work is queued on `stream`.
  // chunk_rows > 0 caps the query rows per chunk (tests use it to run several chunks at
  // small S); 0: as many as the scores bound allows.
  RowStatistics(int64_t S, int64_t D, float scale, cudaStream_t stream, int64_t chunk_rows = 0);

  // Rows of the fp32 K and V that compute() reads: S tokens, then zeros (the GEMMs run
  // over key slices of a fixed length, which may reach past S).
  static int64_t kv_rows(int64_t S);
  // Device memory one RowStatistics holds [bytes]: at most about 256 MiB of scores and dP.
  static size_t scratch_bytes(int64_t S, int64_t D);

  // For the keys.rows() query rows q, dout (fp32 [n, D], device) whose keys are `keys`
  // (d_keys its device copy), with K and V fp32 [kv_rows(S), D] of their key/value head:
  // lse[n], delta[n] and r[n] (fp32, device). Queued on the stream; the host lists are read
  // now.
  void compute(const float* q, const float* dout, const RangeLists& keys, const DeviceRangeLists& d_keys,
               const float* k, const float* v, float* lse, float* delta, float* r);

 private:
  int64_t S_, D_;
  float scale_;
  cudaStream_t stream_;
  int64_t split_;       // keys per slice of P V
  int64_t span_max_;    // the widest key span of a chunk, a multiple of split_
  int64_t chunk_rows_;  // query rows per chunk
  CublasHandle blas_;
  DeviceBuffer scores_;  // fp32 [chunk_rows_, span]: scores, then probabilities
  DeviceBuffer dp_;      // fp32 [chunk_rows_, span]: dO . v_j
  DeviceBuffer parts_;   // float2 [chunk_rows_, segments]: partial (max, sum of exp) of row segments
  DeviceBuffer o_;       // fp32 [span_max_ / split_, chunk_rows_, D]: P V of each key slice
};

}  // namespace cpb
