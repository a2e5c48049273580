// Strided copies as copy-engine work: a view copy that is a set of equal rows (the inner
// dimensions contiguous on both sides, the outer ones at one pitch per side) becomes one
// cudaMemcpy2DAsync, which the copy engines carry without taking an SM. The executor uses
// it for Copy steps on lanes that also exchange (HCMS/Ulysses unpacks): there, a kernel
// would wait for SMs that a full-grid attention kernel holds, and hold up the lane's next
// exchange behind it.
#pragma once

#include <cuda_runtime_api.h>

#include <optional>
#include <vector>

#include "kernels/cuda/copy_views.hpp"

namespace cpb {

// One pitched copy [bytes]: `height` rows of `width` bytes.
struct PitchedCopy {
  char* dst = nullptr;
  const char* src = nullptr;
  size_t dst_pitch = 0, src_pitch = 0, width = 0, height = 0;
};

// Rows shorter than this [bytes] stay with the kernel: a copy engine moves short rows slowly.
constexpr size_t kMinRowBytes = 128;

// The pitched copy equal to `pair`, or nullopt when its types differ, its layout is not a
// set of equal rows at one pitch per side, or its rows are shorter than kMinRowBytes.
// Dimensions of extent 1 are ignored.
std::optional<PitchedCopy> as_pitched_copy(const CopyPair& pair);

// Enqueues every pair as a pitched copy on the copy engines and returns true when all of
// them are expressible as one (as_pitched_copy); enqueues nothing and returns false
// otherwise.
bool copy_views_with_copy_engines(const std::vector<CopyPair>& pairs, cudaStream_t stream);

}  // namespace cpb
