#include "kernels/cuda/sdpa_graph.hpp"

#include <climits>

#include "base/cuda/cudnn_check.hpp"

namespace cpb::sdpa_graph {

std::string shape_text(DType dtype, const SdpaTensor& q, const SdpaTensor& k, const TileMask& mask) {
  return "B=" + std::to_string(q.shape[0]) + " Sq=" + std::to_string(q.shape[1]) +
         " Skv=" + std::to_string(k.shape[1]) + " Hq=" + std::to_string(q.shape[2]) +
         " Hk=" + std::to_string(k.shape[2]) + " D=" + std::to_string(q.shape[3]) + " " + to_string(dtype) + " " +
         to_string(mask);
}

std::string precheck(DType dtype, const SdpaTensor& q, const SdpaTensor& k, const SdpaTensor& v, const SdpaTensor& o,
                     const TileMask& mask) {
  const std::string text = shape_text(dtype, q, k, mask);
  if (dtype == DType::FP32) return "cuDNN SDPA has no fp32 attention (use bf16 or fp16)";
  if (q.shape[0] != k.shape[0] || k.shape != v.shape || q.shape != o.shape || q.shape[3] != k.shape[3] ||
      k.shape[2] == 0 || q.shape[2] % k.shape[2] != 0)
    return "inconsistent attention shapes (" + text + ")";
  if (const std::string bad = tile_mask_error(mask, q.shape[1], k.shape[1]); !bad.empty())
    return "invalid tile mask (" + text + "): " + bad;
  // cuDNN adds the right bound to an int32 row index and compares the left bound through a
  // float column index (exact below 2^24).
  if (q.shape[1] + mask.diag > INT32_MAX || (mask.window > 0 && k.shape[1] + mask.window >= (1 << 24)))
    return "the tile's diagonal band is beyond cuDNN's index range (" + text + ")";
  return "";
}

std::shared_ptr<fe::graph::Tensor_attributes> tensor(fe::graph::Graph& g, const char* name, int64_t uid,
                                                     const SdpaTensor& t) {
  return g.tensor(
      fe::graph::Tensor_attributes().set_name(name).set_uid(uid).set_dim(bhsd_dim(t)).set_stride(bhsd_stride(t)));
}

std::string build(fe::graph::Graph& g, cudnnHandle_t handle, const std::string& what, int64_t* workspace) {
  auto stage = [&](const char* name, fe::error_t err) -> std::string {
    if (err.is_good()) return "";
    return what + ": " + name + ": " + err.get_message();
  };
  std::string why;
  if (!(why = stage("validate", g.validate())).empty()) return why;
  if (!(why = stage("build_operation_graph", g.build_operation_graph(handle))).empty()) return why;
  if (!(why = stage("create_execution_plans", g.create_execution_plans({fe::HeurMode_t::A, fe::HeurMode_t::FALLBACK})))
           .empty())
    return why;
  if (!(why = stage("check_support", g.check_support())).empty()) return why;
  if (!(why = stage("build_plans", g.build_plans())).empty()) return why;
  return stage("get_workspace_size", g.get_workspace_size(*workspace));
}

void execute(cudnnHandle_t handle, const BuiltGraph& g, std::unordered_map<int64_t, void*>& pack, void* workspace,
             cudaStream_t stream, const std::string& what) {
  if (!g.error.empty()) CPB_FATAL(g.error);
  CPB_CUDNN_CHECK(cudnnSetStream(handle, stream));
  fe::error_t err = g.graph->execute(handle, pack, workspace);
  if (err.is_bad()) CPB_FATAL(what + " failed: " + err.get_message());
}

}  // namespace cpb::sdpa_graph
