// A scan of a whole strided view for NaN and Inf (verification: a non-finite value anywhere
// in a shard fails the point, checked or not).
#pragma once

#include <cuda_runtime_api.h>

#include "kernels/cuda/device_view.hpp"

namespace cpb {

// Sets *d_flag (a device int) to 1 when some element of `v` is NaN or Inf; leaves it
// unchanged otherwise. Queued on `stream`.
void flag_nonfinite(const DeviceView& v, int* d_flag, cudaStream_t stream);

}  // namespace cpb
