// cuDNN scaled-dot-product attention backward through the cudnn-frontend graph API.
//
// The gradients of one attention tile from the forward's output O and statistics: reads Q,
// K, V, O, dO ([B, S, H, D] strided views, bf16 or fp16) and the fp32 statistics [B, Hq,
// Sq, 1] that CudnnSdpa's forward writes (natural-log log-sum-exp of the scaled scores,
// over ALL the keys each row sees, so a tile of a larger row takes the row's final O and
// LSE), and WRITES dQ [B, Sq, Hq, D] and dK, dV [B, Skv, Hk, D] in the same dtype (cuDNN
// overwrites them; a caller that accumulates partial gradients adds them itself). Mask,
// GQA and scale as the forward (cudnn_sdpa.hpp); dK and dV sum over the query heads of a
// GQA group. `deterministic` asks cuDNN for its deterministic algorithm: the same bits on
// every run (its default accumulates dQ with atomics in an order that varies), which the
// bitwise checks need (HCMS against Ulysses).
//
// Graphs are built once per distinct descriptor and cached, as the forward's.
#pragma once

#include <cuda_runtime_api.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "kernels/cuda/cudnn_sdpa.hpp"

namespace cpb {

struct SdpaBackwardDesc {
  DType dtype = DType::BF16;  // of Q, K, V, O, dO and the gradients (bf16 or fp16)
  SdpaTensor q, k, v, o, dout, dq, dk, dv;
  std::array<int64_t, 4> lse_stride{1, 1, 1, 1};  // of the fp32 stats [B, Hq, Sq, 1]
  TileMask mask;
  float scale = 1.0f;
  bool deterministic = true;
  int sm_count = 0;  // engines chosen for this many SMs; 0 = all

  bool operator<(const SdpaBackwardDesc& other) const;
};

struct SdpaBackwardArgs {
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  const void* o = nullptr;
  const void* dout = nullptr;
  const float* lse = nullptr;
  void* dq = nullptr;
  void* dk = nullptr;
  void* dv = nullptr;
};

// The backward of dense_sdpa_desc(dtype, B, Sq, Skv, Hq, Hk, D, causal, true, scale): every
// tensor dense [B, S, H, D], statistics dense [B, Hq, Sq, 1].
SdpaBackwardDesc dense_sdpa_backward_desc(DType dtype, int64_t B, int64_t Sq, int64_t Skv, int64_t Hq, int64_t Hk,
                                          int64_t D, bool causal, float scale);
// The backward's FLOPs by docs/METRICS.md's convention: 2.5 times the forward's.
double sdpa_backward_flops(const SdpaBackwardDesc& d);

class CudnnSdpaBackward {
 public:
  CudnnSdpaBackward();  // creates a cuDNN handle on the current device
  ~CudnnSdpaBackward();
  CudnnSdpaBackward(const CudnnSdpaBackward&) = delete;
  CudnnSdpaBackward& operator=(const CudnnSdpaBackward&) = delete;

  // Builds (once) the graph for `desc`. Returns "" and sets *workspace [bytes], or says
  // why cuDNN cannot run this backward (cuDNN's own message).
  std::string prepare(const SdpaBackwardDesc& desc, int64_t* workspace);
  // Enqueues the backward on `stream` (a failure to build is fatal here). `workspace`
  // holds at least prepare()'s bytes.
  void run(const SdpaBackwardDesc& desc, const SdpaBackwardArgs& args, void* workspace, cudaStream_t stream);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cpb
