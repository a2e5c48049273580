#include "kernels/cuda/cudnn_sdpa.hpp"

// cudnn-frontend bundles its own nlohmann/json and specializes its float serializer; keep
// both out of this program (the reporters use the system nlohmann/json).
#define CUDNN_FRONTEND_SKIP_JSON_LIB
#include <cudnn_frontend.h>

#include <cstdint>
#include <map>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "base/cuda/cuda_check.hpp"
#include "base/cuda/cudnn_check.hpp"
#include "kernels/attention_flops.hpp"
#include "kernels/cuda/cudnn_handle.hpp"

namespace cpb {
namespace fe = cudnn_frontend;

namespace {

// Tensor uids of the variant pack.
enum Uid : int64_t { kQ = 1, kK, kV, kO, kStats };

auto key_of(const SdpaDesc& d) {
  return std::tie(d.dtype, d.q.shape, d.q.stride, d.k.shape, d.k.stride, d.v.shape, d.v.stride, d.o.shape,
                  d.o.stride, d.stats, d.lse_stride, d.mask.causal, d.mask.diag, d.mask.window, d.scale,
                  d.sm_count);
}

// cuDNN orders attention tensors [B, H, S, D]; the plan's views are [B, S, H, D].
std::vector<int64_t> bhsd_dim(const SdpaTensor& t) { return {t.shape[0], t.shape[2], t.shape[1], t.shape[3]}; }
std::vector<int64_t> bhsd_stride(const SdpaTensor& t) {
  return {t.stride[0], t.stride[2], t.stride[1], t.stride[3]};
}

std::string shape_text(const SdpaDesc& d) {
  return "B=" + std::to_string(d.q.shape[0]) + " Sq=" + std::to_string(d.q.shape[1]) +
         " Skv=" + std::to_string(d.k.shape[1]) + " Hq=" + std::to_string(d.q.shape[2]) +
         " Hk=" + std::to_string(d.k.shape[2]) + " D=" + std::to_string(d.q.shape[3]) + " " + to_string(d.dtype) +
         " " + to_string(d.mask) + (d.stats ? " +stats" : "");
}

struct Entry {
  std::shared_ptr<fe::graph::Graph> graph;
  int64_t workspace = 0;
  std::string error;  // why cuDNN cannot run it ("" when built)
};

// Builds the graph; returns "" or the first failing stage with cuDNN's message.
std::string build(const SdpaDesc& d, cudnnHandle_t handle, Entry* e) {
  if (d.dtype == DType::FP32) return "cuDNN SDPA has no fp32 attention (use bf16 or fp16)";
  if (d.q.shape[0] != d.k.shape[0] || d.k.shape != d.v.shape || d.q.shape != d.o.shape ||
      d.q.shape[3] != d.k.shape[3] || d.k.shape[2] == 0 || d.q.shape[2] % d.k.shape[2] != 0)
    return "inconsistent attention shapes (" + shape_text(d) + ")";
  if (const std::string bad = tile_mask_error(d.mask, d.q.shape[1], d.k.shape[1]); !bad.empty())
    return "invalid tile mask (" + shape_text(d) + "): " + bad;
  // cuDNN adds the right bound to an int32 row index and compares the left bound through a
  // float column index (exact below 2^24).
  if (d.q.shape[1] + d.mask.diag > INT32_MAX || (d.mask.window > 0 && d.k.shape[1] + d.mask.window >= (1 << 24)))
    return "the tile's diagonal band is beyond cuDNN's index range (" + shape_text(d) + ")";

  auto g = std::make_shared<fe::graph::Graph>();
  g->set_io_data_type(d.dtype == DType::BF16 ? fe::DataType_t::BFLOAT16 : fe::DataType_t::HALF)
      .set_intermediate_data_type(fe::DataType_t::FLOAT)
      .set_compute_data_type(fe::DataType_t::FLOAT);
  if (d.sm_count > 0) g->set_sm_count(d.sm_count);
  auto tensor = [&](const char* name, Uid uid, const SdpaTensor& t) {
    return g->tensor(
        fe::graph::Tensor_attributes().set_name(name).set_uid(uid).set_dim(bhsd_dim(t)).set_stride(bhsd_stride(t)));
  };
  auto Q = tensor("Q", kQ, d.q);
  auto K = tensor("K", kK, d.k);
  auto V = tensor("V", kV, d.v);
  auto opts = fe::graph::SDPA_attributes().set_name("sdpa").set_generate_stats(d.stats).set_attn_scale(d.scale);
  // Top-left band: keep j <= i + right and j > i - left (cudnn-frontend's sliding_window_mask).
  if (d.mask.causal)
    opts.set_diagonal_alignment(fe::DiagonalAlignment_t::TOP_LEFT)
        .set_diagonal_band_right_bound(static_cast<int>(d.mask.diag));
  if (d.mask.causal && d.mask.window > 0)
    opts.set_diagonal_band_left_bound(static_cast<int>(d.mask.window - d.mask.diag));
  auto [O, Stats] = g->sdpa(Q, K, V, opts);
  O->set_output(true).set_uid(kO).set_dim(bhsd_dim(d.o)).set_stride(bhsd_stride(d.o));
  if (d.stats) {
    Stats->set_output(true)
        .set_uid(kStats)
        .set_data_type(fe::DataType_t::FLOAT)
        .set_dim({d.q.shape[0], d.q.shape[2], d.q.shape[1], 1})
        .set_stride({d.lse_stride[0], d.lse_stride[1], d.lse_stride[2], d.lse_stride[3]});
  }
  auto stage = [&](const char* what, fe::error_t err) -> std::string {
    if (err.is_good()) return "";
    return std::string("cuDNN cannot run this attention (") + shape_text(d) + "): " + what + ": " + err.get_message();
  };
  std::string why;
  if (!(why = stage("validate", g->validate())).empty()) return why;
  if (!(why = stage("build_operation_graph", g->build_operation_graph(handle))).empty()) return why;
  if (!(why = stage("create_execution_plans", g->create_execution_plans({fe::HeurMode_t::A, fe::HeurMode_t::FALLBACK}))).empty())
    return why;
  if (!(why = stage("check_support", g->check_support())).empty()) return why;
  if (!(why = stage("build_plans", g->build_plans())).empty()) return why;
  if (!(why = stage("get_workspace_size", g->get_workspace_size(e->workspace))).empty()) return why;
  e->graph = std::move(g);
  return "";
}

}  // namespace

bool SdpaDesc::operator<(const SdpaDesc& other) const { return key_of(*this) < key_of(other); }

SdpaDesc dense_sdpa_desc(DType dtype, int64_t B, int64_t Sq, int64_t Skv, int64_t Hq, int64_t Hk, int64_t D,
                         bool causal, bool stats, float scale) {
  auto dense = [](std::array<int64_t, 4> shape) {
    SdpaTensor t;
    t.shape = shape;
    t.stride = {shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1};
    return t;
  };
  SdpaDesc d;
  d.dtype = dtype;
  d.q = dense({B, Sq, Hq, D});
  d.k = dense({B, Skv, Hk, D});
  d.v = d.k;
  d.o = d.q;
  d.stats = stats;
  d.lse_stride = {Hq * Sq, Sq, 1, 1};
  d.mask.causal = causal;
  d.scale = scale;
  return d;
}

double sdpa_flops(const SdpaDesc& d) {
  return attention_tile_flops(d.q.shape[0], d.q.shape[1], d.k.shape[1], d.q.shape[2], d.q.shape[3], d.mask);
}

struct CudnnSdpa::Impl {
  CudnnHandle handle;
  std::map<SdpaDesc, Entry> cache;

  Entry& entry(const SdpaDesc& d) {
    auto it = cache.find(d);
    if (it != cache.end()) return it->second;
    Entry e;
    e.error = build(d, handle.get(), &e);
    return cache.emplace(d, std::move(e)).first->second;
  }
};

CudnnSdpa::CudnnSdpa() : impl_(std::make_unique<Impl>()) {}
CudnnSdpa::~CudnnSdpa() = default;

std::string CudnnSdpa::prepare(const SdpaDesc& desc, int64_t* workspace) {
  const Entry& e = impl_->entry(desc);
  *workspace = e.workspace;
  return e.error;
}

void CudnnSdpa::run(const SdpaDesc& desc, const SdpaArgs& args, void* workspace, cudaStream_t stream) {
  const Entry& e = impl_->entry(desc);
  if (!e.error.empty()) CPB_FATAL(e.error);
  std::unordered_map<int64_t, void*> pack = {{kQ, const_cast<void*>(args.q)},
                                              {kK, const_cast<void*>(args.k)},
                                              {kV, const_cast<void*>(args.v)},
                                              {kO, args.o}};
  if (desc.stats) {
    if (!args.lse) CPB_FATAL("CudnnSdpa::run: the descriptor asks for stats but no LSE pointer was given");
    pack[kStats] = args.lse;
  }
  CPB_CUDNN_CHECK(cudnnSetStream(impl_->handle.get(), stream));
  fe::error_t err = e.graph->execute(impl_->handle.get(), pack, workspace);
  if (err.is_bad()) CPB_FATAL("cuDNN SDPA execute (" + shape_text(desc) + ") failed: " + err.get_message());
}

}  // namespace cpb
