#include "kernels/cpu/lse_merge.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace cpb {

std::string merge_shape_error(const Shape4& part_o, const Shape4& part_lse, const Shape4& acc_o,
                              const Shape4& acc_lse) {
  for (int64_t e : part_o)
    if (e < 1) return "merge: empty extent in part_o";
  if (acc_o != part_o) return "merge: acc_o and part_o differ in shape";
  const Shape4 lse{part_o[0], part_o[2], part_o[1], 1};
  if (part_lse != lse) return "merge: part_lse is not [B, H, S, 1] of part_o";
  if (acc_lse != lse) return "merge: acc_lse is not [B, H, S, 1] of part_o";
  return "";
}

void lse_merge(const Tensor4<const float>& part_o, const Tensor4<const float>& part_lse,
               const Tensor4<float>& acc_o, const Tensor4<float>& acc_lse, bool init) {
  const std::string err = merge_shape_error(part_o.shape, part_lse.shape, acc_o.shape, acc_lse.shape);
  if (!err.empty()) throw std::invalid_argument(err);
  const int64_t B = part_o.shape[0], S = part_o.shape[1], H = part_o.shape[2], D = part_o.shape[3];
  for (int64_t b = 0; b < B; ++b)
    for (int64_t s = 0; s < S; ++s)
      for (int64_t h = 0; h < H; ++h) {
        const float* p = part_o.data + part_o.index(b, s, h, 0);
        float* a = acc_o.data + acc_o.index(b, s, h, 0);
        const int64_t ps = part_o.stride[3], as = acc_o.stride[3];
        const float pl = part_lse(b, h, s, 0);
        float& al = acc_lse(b, h, s, 0);
        if (std::isinf(pl) && pl < 0 && !init) continue;
        if (init || (std::isinf(al) && al < 0)) {
          for (int64_t d = 0; d < D; ++d) a[d * as] = p[d * ps];
          al = pl;
          continue;
        }
        const float m = std::max(al, pl);
        const float wa = std::exp(al - m), wp = std::exp(pl - m);
        const float sum = wa + wp;
        for (int64_t d = 0; d < D; ++d) a[d * as] = (wa * a[d * as] + wp * p[d * ps]) / sum;
        al = m + std::log(sum);
      }
}

}  // namespace cpb
