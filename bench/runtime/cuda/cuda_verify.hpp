// Verification of an output shard on the GPU against the fp32 reference attention
// (kernels/cuda/reference_attention.hpp), computed from regenerated inputs.
//
// Rows checked (this rank's tokens, `tokens` in local order):
//   Full:    every (b, local row, query head);
//   Sampled: batches {0, B-1}; up to 4 query heads {0, H/2, H-1, one hashed}; up to 64
//            local rows: the first, the last and 62 spread evenly with a hashed jitter.
//            Deterministic (same rows on every run).
// Tolerance: verify_tolerance(p.dtype, S, D, max|ref|) (bench/runtime/tolerance.hpp), the
// rule of the CPU runtime too, with max|ref| over all checked elements of the rank.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/runtime.hpp"
#include "kernels/cuda/device_view.hpp"

namespace cpb {

// o: this rank's output shard [B, S_local, H, D] (S_local = sum of the token ranges).
// Synchronizes `stream`. Mode Off returns an empty result.
VerifyResult verify_attention(const Problem& p, const std::vector<Range>& tokens, const DeviceView& o,
                              VerifyMode mode, cudaStream_t stream);

// Device memory verify_attention() allocates at most [bytes].
size_t verify_scratch_bytes(const Problem& p, int64_t s_local);

}  // namespace cpb
