// DeviceView: a strided 4-D view of device memory with its element type; the host-side
// description kernels take (a plan View resolved against the runtime's buffers).
#pragma once

#include <array>
#include <cstdint>

#include "base/dtype.hpp"

namespace cpb {

struct DeviceView {
  void* ptr = nullptr;           // address of element (0, 0, 0, 0)
  DType type = DType::BF16;      // element type: BF16, FP16 or FP32
  std::array<int64_t, 4> shape{1, 1, 1, 1};
  std::array<int64_t, 4> stride{1, 1, 1, 1};  // [elements]

  int64_t numel() const { return shape[0] * shape[1] * shape[2] * shape[3]; }
};

// A dense row-major view of `shape` at `ptr`.
inline DeviceView dense_device_view(void* ptr, DType type, std::array<int64_t, 4> shape) {
  DeviceView v;
  v.ptr = ptr;
  v.type = type;
  v.shape = shape;
  v.stride = {shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1};
  return v;
}

}  // namespace cpb
