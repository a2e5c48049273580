// What `cpbench calibrate` measures on a runtime (docs/SIMULATOR.md, "Calibration"): the
// attention shapes of the kernel table, the sizes of the copy and merge fits, and the
// limits of the timing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/dtype.hpp"
#include "bench/sim/machine_model.hpp"

namespace cpb {

struct CalibrateGrid {
  // The attention shapes (ms unset), curve by curve (dtype, head_dim, causal, heads,
  // kv_heads), tokens ascending within a curve: each shape's time is predicted from the
  // one before it on its curve (see cap_ms).
  std::vector<KernelSample> attention;
  // Copies and merges: plans of [1, S, heads, head_dim] tensors for each S.
  std::vector<int64_t> bandwidth_tokens;
  int bandwidth_heads = 1;
  int bandwidth_head_dim = 1;
  DType dtype = DType::BF16;  // of the copy and merge plans
  // An attention shape whose predicted time (the previous shape's on its curve, scaled
  // by the FLOPs: an over-estimate, as throughput grows with size) exceeds this is
  // skipped and said so [ms].
  double cap_ms = 0;
  // The timed runs of one step add up to about this (3 to 20 runs) [ms].
  double budget_ms = 0;
  // Untimed runs of a step before its timed ones last at least this wall time [ms]: meant to
  // time it at the clock the GPU holds under sustained load (its power limit), as a
  // sweep's timed loop runs, rather than at a boost clock after an idle moment. 0: one
  // untimed run.
  double settle_ms = 0;
};

// The grid of runtime "cuda" or any other (the CPU runtime: small, seconds), full or
// `quick`. CUDA: tokens 1K..64K in powers of 2, heads {1, 8, 32} with kv_heads = heads
// and heads / 4 where integral, head_dim {64, 128}, full and causal, bf16 and fp16 (280
// shapes), each after 400 ms of untimed runs; quick: tokens 1K, 4K, 16K, heads 8 (kv 8,
// 2), head_dim 128, bf16 (12), one untimed run each.
// CPU (fp32 arithmetic, labelled bf16 as the CPU runtime labels its problems): tokens
// 64..512, heads {1, 4}, head_dim {32, 64} (48 shapes); quick: tokens 64, 128, head_dim
// 32 (12).
CalibrateGrid calibrate_grid(const std::string& runtime, bool quick);

// The kv_heads a heads count is measured with: heads, and heads / 4 when integral.
std::vector<int> grid_kv_heads(int heads);

}  // namespace cpb
