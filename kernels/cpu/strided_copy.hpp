// Element-wise copy and sum between equal-shaped strided views, converting the element
// type (the CPU forms of the plan's CopyOp and ReduceOp; Act and F32 are both float on the
// CPU runtime).
#pragma once

#include <stdexcept>

#include "kernels/cpu/tensor4.hpp"

namespace cpb {

// dst(i) = static_cast<Dst>(src(i)) for every index i. Src may be const. Precondition:
// src and dst do not overlap. Throws std::invalid_argument when the shapes differ.
template <typename Src, typename Dst>
void copy_strided(const Tensor4<Src>& src, const Tensor4<Dst>& dst) {
  if (src.shape != dst.shape) throw std::invalid_argument("copy_strided: shapes differ");
  for (int64_t i0 = 0; i0 < src.shape[0]; ++i0)
    for (int64_t i1 = 0; i1 < src.shape[1]; ++i1)
      for (int64_t i2 = 0; i2 < src.shape[2]; ++i2) {
        const Src* s = src.data + src.index(i0, i1, i2, 0);
        Dst* d = dst.data + dst.index(i0, i1, i2, 0);
        for (int64_t i3 = 0; i3 < src.shape[3]; ++i3)
          d[i3 * dst.stride[3]] = static_cast<Dst>(s[i3 * src.stride[3]]);
      }
}

// dst(i) = dst(i) + src(i) for every index i, summed in float. Same preconditions.
template <typename Src, typename Dst>
void add_strided(const Tensor4<Src>& src, const Tensor4<Dst>& dst) {
  if (src.shape != dst.shape) throw std::invalid_argument("add_strided: shapes differ");
  for (int64_t i0 = 0; i0 < src.shape[0]; ++i0)
    for (int64_t i1 = 0; i1 < src.shape[1]; ++i1)
      for (int64_t i2 = 0; i2 < src.shape[2]; ++i2) {
        const Src* s = src.data + src.index(i0, i1, i2, 0);
        Dst* d = dst.data + dst.index(i0, i1, i2, 0);
        for (int64_t i3 = 0; i3 < src.shape[3]; ++i3) {
          Dst& x = d[i3 * dst.stride[3]];
          x = static_cast<Dst>(static_cast<float>(x) + static_cast<float>(s[i3 * src.stride[3]]));
        }
      }
}

}  // namespace cpb
