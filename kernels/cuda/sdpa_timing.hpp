// The cuDNN attention kernel timed alone: the "cpbench attention vs standalone cuDNN"
// comparison (is an attention step inside a plan as fast as the same call on an idle
// device?).
#pragma once

#include "kernels/cuda/cudnn_sdpa.hpp"

namespace cpb {

struct SdpaTiming {
  double median_ms = 0;  // [ms] median over the timed calls
  double tflops = 0;     // [TFLOP/s] sdpa_flops(desc) / median
  int iterations = 0;    // timed calls
};

// Allocates tensors that cover desc's views (same strides), fills them with never-zero
// values, runs `warmup` untimed calls and then `iterations` calls on one stream, each
// between two CUDA events, and returns the median. Uses the current device; frees what it
// allocated. A descriptor cuDNN cannot run is fatal (prepare() it first to ask).
SdpaTiming time_sdpa_standalone(CudnnSdpa& sdpa, const SdpaDesc& desc, int warmup = 3, int iterations = 20);

}  // namespace cpb
