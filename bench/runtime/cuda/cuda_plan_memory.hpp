// What a plan needs on the GPU: its buffers, the cuDNN workspace of each lane, the scratch
// gradients of each lane's attention-backward steps and the verification scratch, all in
// bytes; also whether cuDNN can run every attention tile, forward and backward.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "kernels/cuda/cudnn_sdpa.hpp"
#include "kernels/cuda/cudnn_sdpa_backward.hpp"

namespace cpb {

// Bytes of one element of `s` storage: the problem dtype for Act, 4 for F32.
int storage_bytes(Storage s, DType dtype);

// The cuDNN descriptor of an attention step (its views' shapes and strides as they are),
// its engine built for `sm_count` SMs (0 = all).
SdpaDesc attention_desc(const AttentionOp& a, DType dtype, int sm_count);

// Where an attention-backward step's gradients land before they are added into the
// step's dq, dk and dv views (cuDNN writes its gradients; the op adds them): dense dQ, dK
// and dV of the tile, in the problem's dtype, one after another in the lane's gradient
// scratch, each aligned to 256 bytes. Offsets and the total in bytes.
struct GradTileLayout {
  size_t dq = 0, dk = 0, dv = 0, bytes = 0;
};
GradTileLayout grad_tile_layout(const AttentionBackwardOp& a, DType dtype);

// The cuDNN descriptor of an attention-backward step: q, k, v, o, dout and the statistics
// as the plan's views; dq, dk, dv dense (grad_tile_layout).
SdpaBackwardDesc attention_backward_desc(const AttentionBackwardOp& a, DType dtype, int sm_count, bool deterministic);

// The most workspace [bytes] an attention-backward step may take for cuDNN's deterministic
// algorithm. Its workspace grows as B Hq Sq Skv (a dP tile of every pair: 256 GiB at
// S=65536, H=32, B=1); above this the step runs cuDNN's default algorithm, whose dQ
// accumulates with atomics in a varying order (not the same bits every run).
constexpr int64_t kDeterministicWorkspaceCap = int64_t{4} << 30;

// The descriptor a backward step runs with: the deterministic algorithm when cuDNN runs it
// within kDeterministicWorkspaceCap, else the default. Builds (and caches in `sdpa`) the
// graphs it tries; sets *workspace [bytes] and returns "" or why cuDNN cannot run the step.
std::string choose_backward_desc(const AttentionBackwardOp& a, DType dtype, int sm_count, CudnnSdpaBackward& sdpa,
                                 SdpaBackwardDesc* desc, int64_t* workspace);

struct PlanMemory {
  std::vector<size_t> buffers;     // [bytes] per plan buffer
  std::vector<size_t> workspaces;  // [bytes] per lane: cuDNN workspace (forward or backward, the larger)
  std::vector<size_t> grad_tiles;  // [bytes] per lane: the largest GradTileLayout of its backward steps
  size_t verify_scratch = 0;       // [bytes] what verify() allocates
  bool deterministic = true;       // every backward step runs cuDNN's deterministic algorithm
  std::string error;               // an attention tile cuDNN cannot run ("" when none)

  size_t buffer_total() const;
  size_t workspace_total() const;  // workspaces and gradient tiles
  size_t total() const { return buffer_total() + workspace_total() + verify_scratch; }
};

// Builds (and caches in `sdpa` and `sdpa_backward`) the cuDNN graph of every attention and
// attention-backward step, for `sm_count` SMs as attention_desc().
PlanMemory plan_memory(const Problem& p, const Plan& plan, CudnnSdpa& sdpa, CudnnSdpaBackward& sdpa_backward,
                       int sm_count);

}  // namespace cpb
