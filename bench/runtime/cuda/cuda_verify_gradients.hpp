// Verification of one rank's gradient shards dQ, dK, dV on the GPU against the fp32 GPU
// reference of the gradients (kernels/cuda/reference_attention_backward.hpp), computed
// from regenerated inputs: the same elements and the same tolerance rule as the CPU's
// verify_gradients (bench/runtime/verify_gradients.hpp), the tolerance's dtype being the
// problem's (the GPU runtime's storage, as for O).
//
// Cost: a dQ row needs its own statistics only (its keys against one GEMM); a dK or dV row
// needs lse and delta of every query row of every query head of its group, so each checked
// (batch, key/value head) pays one fp32 forward per query head of its group (cuBLAS SGEMMs
// over the keys each chunk of rows sees: 4 S^2 D FLOPs a head, halved by a causal mask).
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/runtime.hpp"
#include "kernels/cuda/device_view.hpp"

namespace cpb {

// dq: [B, S_local, H, D]; dk, dv: [B, S_local, Hkv, D]; device views of any storage (BF16,
// FP16, FP32) and strides; local row r holds global token row_tokens(tokens)[r]. Returns
// {dq, dk, dv} TensorVerify in that order (empty for Off), sampled exactly as
// bench/runtime/verify_gradients.cpp samples (gradient_sample), each with verify_tolerance()
// of its checked elements and its longest sum (S for dq, S * H/Hkv for dk, dv), and
// nonfinite set when any element of the whole shard is NaN/Inf. Synchronizes `stream`.
std::vector<TensorVerify> verify_gradients_cuda(const Problem& p, const std::vector<Range>& tokens,
                                                const DeviceView& dq, const DeviceView& dk, const DeviceView& dv,
                                                VerifyMode mode, cudaStream_t stream);

// The most device memory verify_gradients_cuda allocates [bytes].
size_t verify_gradients_scratch_bytes(const Problem& p, int64_t s_local);

}  // namespace cpb
