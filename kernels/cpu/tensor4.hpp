// A strided 4-D view of host memory: what the CPU kernels read and write.
//
// Element (i0, i1, i2, i3) lives at data[i0*stride[0] + i1*stride[1] + i2*stride[2] +
// i3*stride[3]]. Shapes and strides are in elements. The view does not own its memory.
#pragma once

#include <array>
#include <cstdint>
#include <type_traits>

namespace cpb {

using Shape4 = std::array<int64_t, 4>;

template <typename T>
struct Tensor4 {
  T* data = nullptr;  // element (0, 0, 0, 0)
  Shape4 shape{1, 1, 1, 1};
  Shape4 stride{1, 1, 1, 1};

  Tensor4() = default;
  Tensor4(T* d, Shape4 sh, Shape4 st) : data(d), shape(sh), stride(st) {}
  // A view of mutable elements also views them read-only.
  template <typename U, typename = std::enable_if_t<std::is_same<const U, T>::value>>
  Tensor4(const Tensor4<U>& t) : data(t.data), shape(t.shape), stride(t.stride) {}  // NOLINT

  int64_t index(int64_t i0, int64_t i1, int64_t i2, int64_t i3) const {
    return i0 * stride[0] + i1 * stride[1] + i2 * stride[2] + i3 * stride[3];
  }
  T& operator()(int64_t i0, int64_t i1, int64_t i2, int64_t i3) const { return data[index(i0, i1, i2, i3)]; }
  int64_t numel() const { return shape[0] * shape[1] * shape[2] * shape[3]; }
};

// Row-major strides of `shape` (the last dimension contiguous).
inline Shape4 dense_strides(const Shape4& shape) {
  return {shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1};
}

template <typename T>
Tensor4<T> dense_tensor(T* data, const Shape4& shape) {
  return Tensor4<T>(data, shape, dense_strides(shape));
}

}  // namespace cpb
