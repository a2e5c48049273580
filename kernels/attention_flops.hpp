// The FLOP count of one attention tile, shared by the plan's metrics (attention_flops of
// bench/plan/plan.hpp) and the kernel timing (sdpa_flops), so both report the same TFLOP/s.
#pragma once

#include <cstdint>

#include "kernels/tile_mask.hpp"

namespace cpb {

// FLOPs of a tile's backward over its forward's, by the convention of docs/METRICS.md
// ("Backward pass"): 2.5.
constexpr double kBackwardFlopFactor = 2.5;

// 4 B D H FLOPs per allowed query-key pair (tile_pairs).
inline double attention_tile_flops(int64_t B, int64_t Sq, int64_t Skv, int64_t H, int64_t D, const TileMask& mask) {
  return 4.0 * static_cast<double>(B) * static_cast<double>(D) * static_cast<double>(H) * tile_pairs(mask, Sq, Skv);
}

// The same for a full tile or a top-left causal one without offset or window (on a
// square tile, the diagonal, Sq (Sq + 1) / 2 pairs).
inline double attention_tile_flops(int64_t B, int64_t Sq, int64_t Skv, int64_t H, int64_t D, bool causal) {
  return attention_tile_flops(B, Sq, Skv, H, D, TileMask{causal, 0, 0});
}

}  // namespace cpb
