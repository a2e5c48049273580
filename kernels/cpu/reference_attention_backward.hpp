// The gradients of attention of the global problem in double precision, computed from the
// deterministic inputs (kernels/input_values.hpp): the reference that verification of the
// backward pass compares with (issue 20).
//
// The loss is L = sum(dO * O), O the output ReferenceAttention computes (same shape, same
// keys per query) and dO the output gradient input_value(Tensor::DO, ...). Per query row i
// (query head h, key/value head h / (H / Hkv)) over the keys j it sees:
//   lse_i   = log sum_j exp(scale q_i . k_j)
//   P_ij    = exp(scale q_i . k_j - lse_i)
//   delta_i = sum_d dO_i,d O_i,d
//   dS_ij   = P_ij (dO_i . v_j - delta_i)
//   dQ_i    = scale sum_j dS_ij k_j
//   dK_j    = scale sum_i dS_ij q_i,   dV_j = sum_i P_ij dO_i
// where dK_j and dV_j sum over every query row of every query head of the group that sees
// key j. A query row that sees no key has no output and contributes nothing (its dQ is 0).
//
// Each gradient element also has a rounding magnitude M, the scale of the rounding error a
// low-precision backward makes in it (the gradient tolerance's magnitude:
// bench/runtime/tolerance.hpp, docs/METRICS.md "Tolerance"). Independent roundings add in
// quadrature; a backward of FlashAttention's kind rounds the forward's P and its stored O
// (which delta reads), dS before the dQ and dK products, P before the dV product, and its
// outputs:
//   r_i  = sqrt(sum_j (P_ij dP_ij)^2 + sum_d (dO_i,d O_i,d)^2),  dP_ij = dO_i . v_j
//          (the rounding scale of delta_i)
//   M(dQ_i,d) = sqrt(scale^2 sum_j (dS_ij k_j,d)^2 + (scale r_i sum_j P_ij k_j,d)^2 + dQ_i,d^2)
//   M(dK_j,d) = sqrt(scale^2 sum_i (dS_ij q_i,d)^2 + scale^2 sum_i (P_ij r_i q_i,d)^2 + dK_j,d^2)
//   M(dV_j,d) = sqrt(sum_i (P_ij dO_i,d)^2 + dV_j,d^2)
// (delta_i's error moves every dS_ij of row i by P_ij times the same amount, so it enters
// dQ_i through sum_j P_ij k_j and dK_j through each row's own term.)
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "kernels/cpu/reference_attention.hpp"

namespace cpb {

// Computes single gradient rows on demand. Caches the K and V of the last (batch,
// key/value head) it used and, once dkv_row asks for them, the statistics of every query
// row of that group (O(S^2 D H / Hkv) work), so callers should visit rows grouped that way.
// Both row functions throw std::out_of_range for a token or head outside the shape or a key
// range outside [0, S) (dkv_row reads the key ranges of every token).
class ReferenceAttentionBackward {
 public:
  // Throws std::invalid_argument for a non-positive size or H % Hkv != 0.
  explicit ReferenceAttentionBackward(const ReferenceShape& shape);

  // out[0, D): dL/dQ of query head `head` at global token `token` of batch `b`; mag[0, D)
  // (when not null) its rounding magnitudes M.
  void dq_row(int64_t b, int64_t token, int64_t head, double* out, double* mag = nullptr);

  // dk[0, D), dv[0, D): dL/dK and dL/dV of key/value head `kv_head` at global token `token`
  // of batch `b`; mag_k, mag_v (when not null) their rounding magnitudes M.
  void dkv_row(int64_t b, int64_t token, int64_t kv_head, double* dk, double* dv, double* mag_k = nullptr,
               double* mag_v = nullptr);

 private:
  struct RowStats {
    double lse, delta, r;  // r: delta's rounding scale r_i
  };
  void load(int64_t b, int64_t kv_head);
  // Reads query row (b, token, head) into q_ and do_, its keys into ranges_, its scaled
  // scores into s_; returns its lse, delta and r. K and V of its group must be loaded.
  RowStats row_stats(int64_t b, int64_t token, int64_t head);
  void load_group_rows();

  ReferenceShape shape_;
  int64_t group_ = 1;                                      // query heads per key/value head
  int64_t b_ = -1, kv_head_ = -1;                          // whose K and V are cached
  bool group_rows_ = false;                                // whether the group_* caches below hold them
  std::vector<float> k_, v_;                               // [S, D]; the inputs are bf16 values, exact in float
  std::vector<double> q_, do_, s_, kj_, vj_, o_;  // [D] query and dO row; [S] scores; [D] key, value, output row
  // [D] the magnitudes' sums: of squares of dQ's or dK's terms (with dK's delta shifts), of
  // squares of dV's terms, of p k (dQ's delta shift)
  std::vector<double> sq_, sq_v_, pk_;
  std::vector<std::pair<int64_t, int64_t>> ranges_;        // the keys of the current row
  std::vector<float> group_q_, group_do_;                  // [group, S, D]: the group's Q and dO rows
  std::vector<double> group_lse_, group_delta_, group_r_;  // [group, S]
  std::vector<std::pair<int64_t, int64_t>> group_ranges_;  // every token's key ranges, concatenated
  std::vector<size_t> group_range_at_;                     // [S + 1]: token t's in [at[t], at[t + 1])
};

}  // namespace cpb
