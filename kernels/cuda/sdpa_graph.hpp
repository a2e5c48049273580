// What the cuDNN attention graphs of cudnn_sdpa.cpp (forward) and cudnn_sdpa_backward.cpp
// share: the [B, S, H, D] -> [B, H, S, D] dimension order, the mask as cuDNN's diagonal
// band, the checks cuDNN does not make itself, and the stages that turn a graph into a
// runnable plan. Included by those two .cpp files only (it brings in cudnn_frontend.h).
#pragma once

// cudnn-frontend bundles its own nlohmann/json and specializes its float serializer; keep
// both out of this program (the reporters use the system nlohmann/json).
#define CUDNN_FRONTEND_SKIP_JSON_LIB
#include <cudnn_frontend.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/dtype.hpp"
#include "kernels/cuda/cudnn_handle.hpp"
#include "kernels/cuda/cudnn_sdpa.hpp"
#include "kernels/tile_mask.hpp"

namespace cpb::sdpa_graph {

namespace fe = cudnn_frontend;

// cuDNN orders attention tensors [B, H, S, D]; the plan's views are [B, S, H, D].
inline std::vector<int64_t> bhsd_dim(const SdpaTensor& t) { return {t.shape[0], t.shape[2], t.shape[1], t.shape[3]}; }
inline std::vector<int64_t> bhsd_stride(const SdpaTensor& t) {
  return {t.stride[0], t.stride[2], t.stride[1], t.stride[3]};
}

// "B=.. Sq=.. Skv=.. Hq=.. Hk=.. D=.. bf16 causal(...)" for error messages.
std::string shape_text(DType dtype, const SdpaTensor& q, const SdpaTensor& k, const TileMask& mask);

// Why cuDNN cannot run attention of these shapes and mask, checked before building: fp32,
// inconsistent shapes (q/o and k/v pairs equal, Hq a multiple of Hk), a tile mask invalid
// for Sq x Skv, or a band beyond cuDNN's index range; "" when none.
std::string precheck(DType dtype, const SdpaTensor& q, const SdpaTensor& k, const SdpaTensor& v, const SdpaTensor& o,
                     const TileMask& mask);

inline fe::DataType_t io_type(DType d) { return d == DType::BF16 ? fe::DataType_t::BFLOAT16 : fe::DataType_t::HALF; }

// A tensor of graph g with its uid, [B, H, S, D] dims and strides from a [B, S, H, D] view.
std::shared_ptr<fe::graph::Tensor_attributes> tensor(fe::graph::Graph& g, const char* name, int64_t uid,
                                                     const SdpaTensor& t);

// Top-left band: keep j <= i + right and j > i - left (cudnn-frontend's sliding window);
// the same setters exist on the forward's and the backward's attributes.
template <class Attributes>
void set_band(Attributes& opts, const TileMask& m) {
  if (!m.causal) return;
  opts.set_diagonal_alignment(fe::DiagonalAlignment_t::TOP_LEFT)
      .set_diagonal_band_right_bound(static_cast<int>(m.diag));
  if (m.window > 0) opts.set_diagonal_band_left_bound(static_cast<int>(m.window - m.diag));
}

// Validates and builds g for `handle` (heuristics A, then the fallback) and sets
// *workspace [bytes]. Returns "" or "<what>: <stage>: <cuDNN's message>".
std::string build(fe::graph::Graph& g, cudnnHandle_t handle, const std::string& what, int64_t* workspace);

// A graph built for one descriptor, or why cuDNN cannot run it.
struct BuiltGraph {
  std::shared_ptr<fe::graph::Graph> graph;
  int64_t workspace = 0;  // [bytes]
  std::string error;      // "" when built
};

// The graphs of one descriptor type on one cuDNN handle (of the current device), each
// built once: the first get() of a descriptor calls make(desc, handle, &built), which
// returns "" or why cuDNN cannot run it.
template <class Desc>
class GraphCache {
 public:
  template <class Make>
  const BuiltGraph& get(const Desc& d, Make&& make) {
    auto it = cache_.find(d);
    if (it != cache_.end()) return it->second;
    BuiltGraph g;
    g.error = make(d, handle_.get(), &g);
    return cache_.emplace(d, std::move(g)).first->second;
  }
  cudnnHandle_t handle() const { return handle_.get(); }

 private:
  CudnnHandle handle_;
  std::map<Desc, BuiltGraph> cache_;
};

// Enqueues g on `stream` with the variant pack; a graph that was not built, or a failed
// execute, is fatal, naming `what`.
void execute(cudnnHandle_t handle, const BuiltGraph& g, std::unordered_map<int64_t, void*>& pack, void* workspace,
             cudaStream_t stream, const std::string& what);

}  // namespace cpb::sdpa_graph
