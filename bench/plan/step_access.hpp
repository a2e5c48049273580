// What a step touches: the views and slices of buffers it reads and writes, each with the
// range of elements it may reach, and which steps are ordered before which (deps and lane
// order). Shared by the race check (plan_check_races.cpp) and the list scheduler
// (bench/sim/list_order.cpp), which must agree on what conflicts.
#pragma once

#include <cstdint>
#include <vector>

#include "bench/plan/plan.hpp"

namespace cpb {

// Highest element a view touches (the lowest is its offset). Precondition: extents >= 1,
// strides >= 0.
int64_t view_last(const View& v);

// One buffer access of a step: a view, or a contiguous slice (as a [1,1,1,count] view).
struct Access {
  View view;
  bool write = false;
  int64_t first = 0, last = 0;  // element range it may touch
};

// Every access of a step: Copy reads its sources and writes its destinations, Exchange
// reads its sends and writes its receives, Attention reads q, k, v and writes o (and lse),
// Merge reads the partial and writes (and reads) the accumulator.
std::vector<Access> step_accesses(const Step& s);

// Whether two accesses may touch a common element: one buffer, one of them writing, ranges
// overlapping (elements are not compared: a view's range can hold gaps).
bool ranges_conflict(const Access& x, const Access& y);

// Square bit matrix over a plan's steps: row i holds the steps known to end before step i
// starts.
class StepsBefore {
 public:
  explicit StepsBefore(size_t n) : words_((n + 63) / 64), bits_(n * words_, 0) {}
  bool has(size_t i, size_t j) const { return (bits_[i * words_ + j / 64] >> (j % 64)) & 1; }
  // Row i gains j and everything before j.
  void add(size_t i, size_t j) {
    for (size_t w = 0; w < words_; ++w) bits_[i * words_ + w] |= bits_[j * words_ + w];
    bits_[i * words_ + j / 64] |= uint64_t{1} << (j % 64);
  }

 private:
  size_t words_;
  std::vector<uint64_t> bits_;
};

}  // namespace cpb
