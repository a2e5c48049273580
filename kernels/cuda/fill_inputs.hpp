// Device fills with the deterministic input values of kernels/input_values.hpp.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>

#include "base/dtype.hpp"
#include "kernels/input_values.hpp"

namespace cpb {

// Fills `dst`, dense [B, s_local, heads, D] of `type`, with tensor `t`'s inputs: local row
// s holds global token d_tokens[s] (a device array of s_local entries); `heads` are query
// heads for Q and key/value heads for K and V, all of them from head 0.
void fill_inputs(Tensor t, DType type, void* dst, int64_t B, int64_t s_local, int64_t heads, int64_t D,
                 const int64_t* d_tokens, cudaStream_t stream);

// Fills `n` elements of `dst` (any layout) with never-zero values: element i gets
// input_value(t, 0, i, 0, 0, 1). For buffers that only need realistic data (timing).
void fill_linear(Tensor t, DType type, void* dst, int64_t n, cudaStream_t stream);

}  // namespace cpb
