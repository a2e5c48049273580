// RangeLists: token ranges per row in CSR form (the keys each query row of a reference
// sees, or the queries that see each key row), on the host, and DeviceRangeLists its
// device copy, which the GPU references read.
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "base/cuda/cuda_check.hpp"
#include "base/cuda/device_buffer.hpp"
#include "kernels/cuda/reference_attention.hpp"

namespace cpb {

// Row i's ranges are ranges[at[i], at[i + 1]): disjoint, increasing, global tokens.
struct RangeLists {
  std::vector<int64_t> at{0};
  std::vector<KeyRange> ranges;

  int64_t rows() const { return static_cast<int64_t>(at.size()) - 1; }
  void push_row(const std::vector<std::pair<int64_t, int64_t>>& row) {
    for (const auto& [first, last] : row) ranges.push_back(KeyRange{first, last});
    at.push_back(static_cast<int64_t>(ranges.size()));
  }
};

class DeviceRangeLists {
 public:
  // Copies `h` to the device on `stream` (from pageable memory: `h` may go once this returns).
  DeviceRangeLists(const RangeLists& h, cudaStream_t stream)
      : at_(h.at.size() * sizeof(int64_t)), ranges_(h.ranges.size() * sizeof(KeyRange)) {
    CPB_CUDA_CHECK(cudaMemcpyAsync(at_.get(), h.at.data(), at_.bytes(), cudaMemcpyHostToDevice, stream));
    if (ranges_.bytes() > 0)
      CPB_CUDA_CHECK(cudaMemcpyAsync(ranges_.get(), h.ranges.data(), ranges_.bytes(), cudaMemcpyHostToDevice, stream));
  }

  const int64_t* at() const { return at_.as<int64_t>(); }
  const KeyRange* ranges() const { return ranges_.as<KeyRange>(); }

 private:
  DeviceBuffer at_, ranges_;
};

}  // namespace cpb
