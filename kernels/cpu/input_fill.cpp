#include "kernels/cpu/input_fill.hpp"

#include <stdexcept>

namespace cpb {

void fill_inputs(Tensor tensor, const std::vector<int64_t>& row_tokens, const Tensor4<float>& out) {
  if (out.shape[1] != static_cast<int64_t>(row_tokens.size()))
    throw std::invalid_argument("fill_inputs: the view has " + std::to_string(out.shape[1]) + " rows but " +
                                std::to_string(row_tokens.size()) + " tokens");
  for (int64_t b = 0; b < out.shape[0]; ++b)
    for (int64_t r = 0; r < out.shape[1]; ++r)
      for (int64_t h = 0; h < out.shape[2]; ++h)
        for (int64_t d = 0; d < out.shape[3]; ++d)
          out(b, r, h, d) = input_value(tensor, b, row_tokens[static_cast<size_t>(r)], h, d, out.shape[3]);
}

}  // namespace cpb
