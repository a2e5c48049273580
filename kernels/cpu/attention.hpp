// fp32 reference attention on strided views, with optional LSE statistics: the CPU form
// of the plan's AttentionOp.
//
// Determinism: the output of one (batch, query head, query row) depends only on that
// query row and the key/value rows it sees, in key order, never on the tile's other
// sizes or on strides. The same head computed in a different tile (HCMS chunks versus
// Ulysses) is therefore bitwise identical.
#pragma once

#include <string>

#include "kernels/cpu/tensor4.hpp"
#include "kernels/tile_mask.hpp"

namespace cpb {

// Why these shapes do not form an attention tile, or "". q, o: [B, Sq, Hq, D]; k, v:
// [B, Skv, Hk, D] with Hq % Hk == 0; `mask` valid for Sq x Skv (tile_mask_error); lse
// (may be null): [B, Hq, Sq, 1].
std::string attention_shape_error(const Shape4& q, const Shape4& k, const Shape4& v, const Shape4& o,
                                  const Shape4* lse, const TileMask& mask);

// o = softmax(scale * q k^T [masked]) v, query head i using key/value head i / (Hq / Hk);
// query row i sees the keys row_keys(mask, i, Skv) gives (kernels/tile_mask.hpp). When
// lse is not null, lse(b, h, i, 0) = log(sum_j exp(scale * q_i . k_j)) over the keys row
// i sees (natural log). Softmax subtracts the row maximum; all arithmetic is fp32, the sums over the n keys
// in blocks of ceil(sqrt(n)) keys (no fp32 chain longer than about 2 sqrt(n): the
// accumulation term of the verification tolerance, bench/runtime/tolerance.hpp). Throws
// std::invalid_argument when attention_shape_error() is not empty. o and lse must not
// overlap the inputs.
void attention_fp32(const Tensor4<const float>& q, const Tensor4<const float>& k,
                    const Tensor4<const float>& v, const Tensor4<float>& o, const Tensor4<float>* lse,
                    const TileMask& mask, float scale);

}  // namespace cpb
