// What a plan needs on the GPU: its buffers, the cuDNN workspace of each lane and the
// verification scratch, all in bytes; also whether cuDNN can run every attention tile.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "kernels/cuda/cudnn_sdpa.hpp"

namespace cpb {

// Bytes of one element of `s` storage: the problem dtype for Act, 4 for F32.
int storage_bytes(Storage s, DType dtype);

// The cuDNN descriptor of an attention step (its views' shapes and strides as they are),
// its engine built for `sm_count` SMs (0 = all).
SdpaDesc attention_desc(const AttentionOp& a, DType dtype, int sm_count);

struct PlanMemory {
  std::vector<size_t> buffers;     // [bytes] per plan buffer
  std::vector<size_t> workspaces;  // [bytes] cuDNN workspace per lane
  size_t verify_scratch = 0;       // [bytes] what verify() allocates
  std::string error;               // an attention tile cuDNN cannot run ("" when none)

  size_t buffer_total() const;
  size_t workspace_total() const;
  size_t total() const { return buffer_total() + workspace_total() + verify_scratch; }
};

// Builds (and caches in `sdpa`) the cuDNN graph of every attention step, for `sm_count`
// SMs as attention_desc().
PlanMemory plan_memory(const Problem& p, const Plan& plan, CudnnSdpa& sdpa, int sm_count);

}  // namespace cpb
