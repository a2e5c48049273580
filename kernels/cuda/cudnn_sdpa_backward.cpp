#include "kernels/cuda/cudnn_sdpa_backward.hpp"

#include <tuple>
#include <unordered_map>

#include "base/cuda/cuda_check.hpp"
#include "kernels/attention_flops.hpp"
#include "kernels/cuda/sdpa_graph.hpp"

namespace cpb {
namespace fe = cudnn_frontend;

namespace {

// Tensor uids of the variant pack.
enum Uid : int64_t { kQ = 1, kK, kV, kO, kDO, kStats, kDQ, kDK, kDV };

auto key_of(const SdpaBackwardDesc& d) {
  return std::tie(d.dtype, d.q.shape, d.q.stride, d.k.shape, d.k.stride, d.v.shape, d.v.stride, d.o.shape, d.o.stride,
                  d.dout.shape, d.dout.stride, d.dq.shape, d.dq.stride, d.dk.shape, d.dk.stride, d.dv.shape,
                  d.dv.stride, d.lse_stride, d.mask.causal, d.mask.diag, d.mask.window, d.scale, d.deterministic,
                  d.sm_count);
}

std::string shape_text(const SdpaBackwardDesc& d) {
  return sdpa_graph::shape_text(d.dtype, d.q, d.k, d.mask) + " backward" + (d.deterministic ? " deterministic" : "");
}

std::string build(const SdpaBackwardDesc& d, cudnnHandle_t handle, sdpa_graph::BuiltGraph* e) {
  if (std::string why = sdpa_graph::precheck(d.dtype, d.q, d.k, d.v, d.o, d.mask); !why.empty()) return why;
  if (d.dout.shape != d.q.shape || d.dq.shape != d.q.shape || d.dk.shape != d.k.shape || d.dv.shape != d.v.shape)
    return "inconsistent gradient shapes (" + shape_text(d) + ")";
  auto g = std::make_shared<fe::graph::Graph>();
  g->set_io_data_type(sdpa_graph::io_type(d.dtype))
      .set_intermediate_data_type(fe::DataType_t::FLOAT)
      .set_compute_data_type(fe::DataType_t::FLOAT);
  if (d.sm_count > 0) g->set_sm_count(d.sm_count);
  auto Q = sdpa_graph::tensor(*g, "Q", kQ, d.q);
  auto K = sdpa_graph::tensor(*g, "K", kK, d.k);
  auto V = sdpa_graph::tensor(*g, "V", kV, d.v);
  auto O = sdpa_graph::tensor(*g, "O", kO, d.o);
  auto dO = sdpa_graph::tensor(*g, "dO", kDO, d.dout);
  auto Stats = g->tensor(fe::graph::Tensor_attributes()
                             .set_name("Stats")
                             .set_uid(kStats)
                             .set_data_type(fe::DataType_t::FLOAT)
                             .set_dim({d.q.shape[0], d.q.shape[2], d.q.shape[1], 1})
                             .set_stride({d.lse_stride[0], d.lse_stride[1], d.lse_stride[2], d.lse_stride[3]}));
  auto opts = fe::graph::SDPA_backward_attributes()
                  .set_name("sdpa_backward")
                  .set_attn_scale(d.scale)
                  .set_deterministic_algorithm(d.deterministic);
  sdpa_graph::set_band(opts, d.mask);
  auto [dQ, dK, dV] = g->sdpa_backward(Q, K, V, O, dO, Stats, opts);
  dQ->set_output(true).set_uid(kDQ).set_dim(sdpa_graph::bhsd_dim(d.dq)).set_stride(sdpa_graph::bhsd_stride(d.dq));
  dK->set_output(true).set_uid(kDK).set_dim(sdpa_graph::bhsd_dim(d.dk)).set_stride(sdpa_graph::bhsd_stride(d.dk));
  dV->set_output(true).set_uid(kDV).set_dim(sdpa_graph::bhsd_dim(d.dv)).set_stride(sdpa_graph::bhsd_stride(d.dv));
  std::string why =
      sdpa_graph::build(*g, handle, "cuDNN cannot run this attention backward (" + shape_text(d) + ")", &e->workspace);
  if (why.empty()) e->graph = std::move(g);
  return why;
}

}  // namespace

bool SdpaBackwardDesc::operator<(const SdpaBackwardDesc& other) const { return key_of(*this) < key_of(other); }

SdpaBackwardDesc dense_sdpa_backward_desc(DType dtype, int64_t B, int64_t Sq, int64_t Skv, int64_t Hq, int64_t Hk,
                                          int64_t D, bool causal, float scale) {
  const SdpaDesc f = dense_sdpa_desc(dtype, B, Sq, Skv, Hq, Hk, D, causal, true, scale);
  SdpaBackwardDesc d;
  d.dtype = dtype;
  d.q = f.q;
  d.k = f.k;
  d.v = f.v;
  d.o = f.o;
  d.dout = f.q;
  d.dq = f.q;
  d.dk = f.k;
  d.dv = f.v;
  d.lse_stride = f.lse_stride;
  d.mask = f.mask;
  d.scale = scale;
  return d;
}

double sdpa_backward_flops(const SdpaBackwardDesc& d) {
  return kBackwardFlopFactor *
         attention_tile_flops(d.q.shape[0], d.q.shape[1], d.k.shape[1], d.q.shape[2], d.q.shape[3], d.mask);
}

struct CudnnSdpaBackward::Impl {
  sdpa_graph::GraphCache<SdpaBackwardDesc> graphs;

  const sdpa_graph::BuiltGraph& entry(const SdpaBackwardDesc& d) { return graphs.get(d, build); }
};

CudnnSdpaBackward::CudnnSdpaBackward() : impl_(std::make_unique<Impl>()) {}
CudnnSdpaBackward::~CudnnSdpaBackward() = default;

std::string CudnnSdpaBackward::prepare(const SdpaBackwardDesc& desc, int64_t* workspace) {
  const sdpa_graph::BuiltGraph& e = impl_->entry(desc);
  *workspace = e.workspace;
  return e.error;
}

void CudnnSdpaBackward::run(const SdpaBackwardDesc& desc, const SdpaBackwardArgs& args, void* workspace,
                            cudaStream_t stream) {
  const sdpa_graph::BuiltGraph& e = impl_->entry(desc);
  if (!e.error.empty()) CPB_FATAL(e.error);
  if (!args.lse) CPB_FATAL("CudnnSdpaBackward::run: no statistics (LSE) pointer was given");
  std::unordered_map<int64_t, void*> pack = {{kQ, const_cast<void*>(args.q)},
                                             {kK, const_cast<void*>(args.k)},
                                             {kV, const_cast<void*>(args.v)},
                                             {kO, const_cast<void*>(args.o)},
                                             {kDO, const_cast<void*>(args.dout)},
                                             {kStats, const_cast<float*>(args.lse)},
                                             {kDQ, args.dq},
                                             {kDK, args.dk},
                                             {kDV, args.dv}};
  sdpa_graph::execute(impl_->graphs.handle(), e, pack, workspace, stream,
                      "cuDNN SDPA backward execute (" + shape_text(desc) + ")");
}

}  // namespace cpb
