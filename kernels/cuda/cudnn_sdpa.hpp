// cuDNN scaled-dot-product attention (forward) through the cudnn-frontend graph API.
//
// Reads the plan's views in place: Q, K, V and O are strided [B, S, H, D] tensors (any
// strides cuDNN accepts, e.g. a head slice of a larger buffer), so no copies are made.
// bf16 or fp16 in and out, fp32 softmax and accumulation; full, or causal with a diagonal
// offset and a window (kernels/tile_mask.hpp: query i sees key j iff j <= i + diag, and
// j > i + diag - window when window > 0; cuDNN's top-left diagonal band with right bound
// diag and left bound window - diag); GQA when Hq > Hk (query head i uses key/value
// head i / (Hq / Hk)). Optionally writes fp32 statistics [B, Hq, Sq, 1]: the natural-log
// log-sum-exp of the SCALED scores of each query row, lse = max_j(s_j) + ln(sum_j exp(s_j
// - max)), s_j = scale * q.k_j. That is cudnn-frontend's Stats output (max + log of the
// sum of exponentials, natural log), the convention plan.hpp's AttentionOp asks for; the
// GPU tests check it against the reference LSE.
//
// One cuDNN graph is built per distinct SdpaDesc (shape, strides, mask, stats, dtype,
// scale) and cached; building costs milliseconds to seconds, so runtimes prepare() every
// descriptor of a plan before timing it.
#pragma once

#include <cuda_runtime_api.h>

#include <array>
#include <cstdint>
#include <memory>
#include <string>

#include "base/dtype.hpp"
#include "kernels/tile_mask.hpp"

namespace cpb {

struct SdpaTensor {
  std::array<int64_t, 4> shape{1, 1, 1, 1};   // [B, S, H, D]
  std::array<int64_t, 4> stride{1, 1, 1, 1};  // [elements]
};

struct SdpaDesc {
  DType dtype = DType::BF16;  // of Q, K, V and O (bf16 or fp16)
  SdpaTensor q, k, v, o;
  bool stats = false;
  std::array<int64_t, 4> lse_stride{1, 1, 1, 1};  // of the fp32 stats [B, Hq, Sq, 1]
  TileMask mask;  // full, or causal with a diagonal offset and a window (kernels/tile_mask.hpp)
  float scale = 1.0f;
  int sm_count = 0;  // engines chosen for this many SMs (leaving the rest to others); 0 = all

  bool operator<(const SdpaDesc& other) const;
};

struct SdpaArgs {
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  void* o = nullptr;
  float* lse = nullptr;  // required when desc.stats
};

// A dense [B, S, H, D] descriptor (row-major, stats [B, Hq, Sq, 1] dense).
SdpaDesc dense_sdpa_desc(DType dtype, int64_t B, int64_t Sq, int64_t Skv, int64_t Hq, int64_t Hk, int64_t D,
                         bool causal, bool stats, float scale);
// 4 * B * D * Hq * (query-key pairs the mask allows).
double sdpa_flops(const SdpaDesc& d);

class CudnnSdpa {
 public:
  CudnnSdpa();  // creates a cuDNN handle on the current device
  ~CudnnSdpa();
  CudnnSdpa(const CudnnSdpa&) = delete;
  CudnnSdpa& operator=(const CudnnSdpa&) = delete;

  // Builds (once) the graph for `desc`. Returns "" and sets *workspace [bytes], or says
  // why cuDNN cannot run this attention (cuDNN's own message).
  std::string prepare(const SdpaDesc& desc, int64_t* workspace);
  // Enqueues the attention on `stream` (prepares `desc` first if needed; a failure to
  // build is fatal here). `workspace` holds at least prepare()'s bytes.
  void run(const SdpaDesc& desc, const SdpaArgs& args, void* workspace, cudaStream_t stream);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cpb
