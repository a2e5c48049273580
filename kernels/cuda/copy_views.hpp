// Strided 4-D copies with element-type conversion: the pack/unpack between sequence- and
// head-sharded layouts, and Act <-> F32 conversions; and the same with addition into the
// destination (the ReduceOp of partial gradients).
#pragma once

#include <cuda_runtime_api.h>

#include <vector>

#include "kernels/cuda/device_view.hpp"

namespace cpb {

struct CopyPair {
  DeviceView src, dst;  // equal shapes; types may differ (converted, round to nearest)
};

// Enqueues dst = src for every pair. The pairs of one call must not overlap one another's
// destinations. Consecutive pairs with the same (source, destination) types go into one
// launch (up to 8 per launch). A pair whose inner dimension is contiguous on both sides
// (stride 1, extent and outer strides multiples of 8, pointers aligned to 8 elements)
// moves 8 elements per thread with vector loads and stores; other pairs move one.
void copy_views(const std::vector<CopyPair>& pairs, cudaStream_t stream);

// Enqueues dst += src for every pair, in order, batched and vectorized as copy_views; the
// sum is formed in fp32 and rounded once to dst's type. Pairs may add into the same
// destination (a key/value head's partial dK and dV from two ranks): such a pair goes in
// a later launch than the earlier pair it overlaps.
void add_views(const std::vector<CopyPair>& pairs, cudaStream_t stream);

}  // namespace cpb
