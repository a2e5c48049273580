// fp32 reference attention backward on strided views: the CPU form of the gradients of
// one attention tile (issue 20), for the backward pass's plans and their verification.
//
// The loss is L = sum(dO * O) for the output O of a query row over all the keys it sees,
// which may lie in several tiles. With the row's final statistics -- lse_i, the log-sum-
// exp of its scaled scores over all its keys, and delta_i = sum_d dO_i,d O_i,d -- the
// gradients split exactly over key tiles:
//   P_ij  = exp(scale q_i . k_j - lse_i)       (the final probabilities)
//   dV_j += sum_i P_ij dO_i
//   dS_ij = P_ij (dO_i . v_j - delta_i)
//   dQ_i += scale sum_j dS_ij k_j
//   dK_j += scale sum_i dS_ij q_i
// so a row computed in several tiles gets its gradient as the sum of the tiles'. The
// kernel adds into dq, dk and dv (partial gradients accumulate); query head h uses key and
// value head h / (Hq / Hk), whose dk and dv sum over the group.
//
// Determinism: every sum runs in a fixed order, independent of strides: per key/value
// head, the group's query heads, then their rows, then each row's keys.
#pragma once

#include <string>

#include "kernels/cpu/tensor4.hpp"
#include "kernels/tile_mask.hpp"

namespace cpb {

// delta(b, h, i, 0) = sum_d dO(b, i, h, d) O(b, i, h, d): the row statistic the backward
// of every tile of the row reads. dO, O: [B, Sq, Hq, D]; delta: [B, Hq, Sq, 1]. Throws
// std::invalid_argument when the shapes disagree.
void attention_delta_fp32(const Tensor4<const float>& dO, const Tensor4<const float>& O, const Tensor4<float>& delta);

// Adds the gradients of one tile to dq, dk, dv. q, dO, dq: [B, Sq, Hq, D]; k, v, dk, dv:
// [B, Skv, Hk, D]; lse, delta: [B, Hq, Sq, 1], the rows' final statistics (above); `mask`
// and `scale` as for attention_fp32. Throws std::invalid_argument for shapes that do not
// form a tile (attention_shape_error) or gradients and statistics of other shapes. The
// gradients must not overlap the inputs or each other.
void attention_backward_fp32(const Tensor4<const float>& q, const Tensor4<const float>& k,
                             const Tensor4<const float>& v, const Tensor4<const float>& dO,
                             const Tensor4<const float>& lse, const Tensor4<const float>& delta, const TileMask& mask,
                             float scale, const Tensor4<float>& dq, const Tensor4<float>& dk, const Tensor4<float>& dv);

}  // namespace cpb
