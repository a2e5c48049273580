// The FLOP count of one attention tile, shared by the plan's metrics (attention_flops of
// bench/plan/plan.hpp) and the kernel timing (sdpa_flops), so both report the same TFLOP/s.
#pragma once

#include <cstdint>

namespace cpb {

// 4 B D H FLOPs per allowed query-key pair; a causal tile is square (the diagonal) and
// allows Sq (Sq + 1) / 2 pairs, a full tile Sq Skv.
inline double attention_tile_flops(int64_t B, int64_t Sq, int64_t Skv, int64_t H, int64_t D, bool causal) {
  const double sq = static_cast<double>(Sq);
  const double skv = static_cast<double>(Skv);
  const double pairs = causal ? sq * (sq + 1) / 2 : sq * skv;
  return 4.0 * static_cast<double>(B) * static_cast<double>(D) * static_cast<double>(H) * pairs;
}

}  // namespace cpb
