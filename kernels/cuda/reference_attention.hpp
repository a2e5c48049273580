// A plain fp32 GPU reference attention for verification: selected query rows against all
// keys the mask allows, from the deterministic inputs (kernels/input_values.hpp), with no
// plan, layout or library in common with the runs it checks.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "kernels/cuda/device_view.hpp"
#include "kernels/input_values.hpp"

namespace cpb {

// Keys [begin, end) of the global sequence.
struct KeyRange {
  int64_t begin = 0, end = 0;
};

// One query row: batch b, query head `head`, global token `token`; `local` is the row of
// the output shard [B, S_local, H, D] that holds it (used by compare_rows); the keys it
// sees are ranges[first_range, first_range + num_ranges) of the KeyRange array passed
// with it (disjoint, increasing, at least one key in all).
struct RefRow {
  int32_t b = 0;
  int32_t head = 0;
  int64_t token = 0;
  int64_t local = 0;
  int32_t first_range = 0;
  int32_t num_ranges = 0;
};

// Largest head dimension the reference supports; D must also be a multiple of 8.
constexpr int64_t kRefMaxD = 256;

// Writes key/value head `kv_head` of tensor t (K or V) for all B batches and S global
// tokens, dense [B, S, D] in bf16 (the inputs are bf16 values, so this is exact).
void generate_kv_head(Tensor t, int64_t kv_head, int64_t B, int64_t S, int64_t D, void* dst_bf16,
                      cudaStream_t stream);

// For each of the n rows (device array), all of whose heads use the key/value head held
// in k_bf16/v_bf16 ([B, S, D], from generate_kv_head): out[r, :] (fp32 [n, D]) =
// softmax(scale * q k^T) v over the row's key ranges (device array d_ranges), and lse[r] =
// natural log-sum-exp of the scaled scores. Q is regenerated from the inputs. fp32
// throughout.
void reference_attention(const RefRow* d_rows, int64_t n, const KeyRange* d_ranges, const void* k_bf16,
                         const void* v_bf16, int64_t S, int64_t D, float scale, float* out, float* lse,
                         cudaStream_t stream);

// Per-row comparison of an output shard with the reference.
struct RowCheck {
  float max_abs_err;  // max over d of |o - ref|
  float max_abs_ref;  // max over d of |ref|
  float max_mag;      // max over d of the rounding magnitude mag (0 without one)
  int nonfinite;      // 1 when an o value of the row is NaN or Inf
};
// o: the output shard, [B, S_local, H, D] (any strides); ref and mag (nullable): fp32 [n,
// D]; out: n RowChecks.
void compare_rows(const RefRow* d_rows, int64_t n, const DeviceView& o, const float* ref, const float* mag,
                  RowCheck* out, cudaStream_t stream);

}  // namespace cpb
