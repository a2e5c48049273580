// Fills a rank's input shard with the deterministic global inputs (kernels/input_values.hpp).
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/cpu/tensor4.hpp"
#include "kernels/input_values.hpp"

namespace cpb {

// out: [B, rows, heads, D] with out(b, r, h, d) = input_value(tensor, b, row_tokens[r], h, d, D):
// local row r holds global token row_tokens[r]; heads are global head indices (query
// heads for Q, key/value heads for K and V). Throws std::invalid_argument when
// out.shape[1] != row_tokens.size().
void fill_inputs(Tensor tensor, const std::vector<int64_t>& row_tokens, const Tensor4<float>& out);

}  // namespace cpb
