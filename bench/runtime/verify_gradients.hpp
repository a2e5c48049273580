// Verification of one rank's gradient shards dQ, dK, dV against the double-precision
// reference gradients of the global problem (kernels/cpu/reference_attention_backward.hpp,
// the loss L = sum(dO * O) with the deterministic dO of kernels/input_values.hpp).
//
// What is checked on each rank, per tensor, as verify_output does for O: Full every batch,
// local row and head; Sampled batches {0, B-1}, rows sample_indices(rows, kSampledRows)
// and heads sample_indices(heads, kSampledHeads) (query heads for dQ, key/value heads for
// dK and dV); Off nothing. Full and Sampled also scan the whole shard for NaN/Inf. Each
// tensor has its own tolerance, verify_tolerance() with the largest rounding magnitude M of
// its checked elements (kernels/cpu/reference_attention_backward.hpp) and the length of its
// longest sum: S keys for a row of dQ, S queries of H/Hkv heads for a row of dK or dV
// (docs/METRICS.md, "Tolerance").
#pragma once

#include <cstdint>
#include <vector>

#include "bench/problem.hpp"
#include "bench/runtime.hpp"

namespace cpb {

// The elements one gradient tensor checks, as above: batches, local rows and heads (query
// heads for dQ, key/value heads for dK and dV) of a shard of `rows` rows and `heads` heads.
struct GradientSample {
  std::vector<int64_t> batches, rows, heads;
};
GradientSample gradient_sample(const Problem& p, int64_t rows, int64_t heads, VerifyMode mode);

// dq: [B, rows, H, D], dk and dv: [B, rows, Hkv, D], fp32, local row r holding global token
// row_tokens(tokens)[r]. Returns {dq, dk, dv} in that order; empty for mode Off.
std::vector<TensorVerify> verify_gradients(const Problem& p, const std::vector<Range>& tokens, const float* dq,
                                           const float* dk, const float* dv, VerifyMode mode, DType storage);

}  // namespace cpb
