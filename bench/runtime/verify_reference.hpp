// Verification of one rank's output shard against the double-precision reference
// attention of the global problem (kernels/cpu/reference_attention.hpp).
//
// What is checked on each rank:
//   Full:    every batch, local row and query head.
//   Sampled: batches {0, B-1}, local rows sample_indices(rows, kSampledRows) and query heads
//            sample_indices(H, kSampledHeads): the first and last row and head always,
//            the rest evenly spaced. Deterministic, so reruns check the same elements.
//   Off:     nothing.
// Full and Sampled also scan the whole shard for NaN/Inf. The caller judges the result:
// a point passes when !nonfinite and max_abs_err <= tolerance on every rank, the tolerance
// being verify_tolerance() (bench/runtime/tolerance.hpp) of the checked elements.
#pragma once

#include <cstdint>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/runtime.hpp"

namespace cpb {

constexpr int64_t kSampledRows = 64;
constexpr int64_t kSampledHeads = 4;

// min(n, max_count) distinct indices of [0, n) in increasing order, evenly spaced and
// including 0 and n - 1 (for n >= 1 and max_count >= 2; {0} for max_count == 1).
std::vector<int64_t> sample_indices(int64_t n, int64_t max_count);

// out: this rank's output shard, dense [B, rows, H, D] in fp32, where local row r holds
// global token row_tokens(tokens)[r]. The mask (bench/mask/mask_regions.hpp) applies to global positions.
// `storage`: the precision the runtime computed and stored the output in (the tolerance's
// dtype; fp32 for the CPU runtime). Mode Off checks nothing and reports tolerance 0.
VerifyResult verify_output(const Problem& p, const std::vector<Range>& tokens, const float* out,
                           VerifyMode mode, DType storage);

}  // namespace cpb
