// GPU-test helper: the cuDNN attention kernel timed alone on buffers of its own, back to
// back, the kernel's rate at a shape with no plan around it (test_cudnn_sdpa.cpp prints
// it). Sweeps do not use it: they compare a plan's attention with the same step run
// alone on the plan's own buffers (Executor::step_alone_ms, bench/sweep/step_timed_runs.cpp),
// interleaved with the step-timed runs, so that both see the same buffers and clocks.
#pragma once

#include "kernels/cuda/cudnn_sdpa.hpp"
#include "kernels/cuda/cudnn_sdpa_backward.hpp"

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

// The same for the backward of dense_sdpa_backward_desc(...) shapes: dense tensors of its
// own, O and the statistics from one forward call (`sdpa`) on the deterministic inputs,
// then `warmup` untimed and `iterations` timed backward calls; tflops counts
// sdpa_backward_flops (2.5x the forward's).
SdpaTiming time_sdpa_backward_standalone(CudnnSdpa& sdpa, CudnnSdpaBackward& backward, const SdpaBackwardDesc& desc,
                                         int warmup = 3, int iterations = 20);

}  // namespace cpb
