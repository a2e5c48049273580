#include "kernels/cuda/cudnn_sdpa.hpp"

#include <cstdint>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "base/cuda/cuda_check.hpp"
#include "kernels/attention_flops.hpp"
#include "kernels/cuda/sdpa_graph.hpp"

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

std::string shape_text(const SdpaDesc& d) {
  return sdpa_graph::shape_text(d.dtype, d.q, d.k, d.mask) + (d.stats ? " +stats" : "");
}

// Builds the graph; returns "" or the first failing stage with cuDNN's message.
std::string build(const SdpaDesc& d, cudnnHandle_t handle, sdpa_graph::BuiltGraph* e) {
  if (std::string why = sdpa_graph::precheck(d.dtype, d.q, d.k, d.v, d.o, d.mask); !why.empty()) return why;
  auto g = std::make_shared<fe::graph::Graph>();
  g->set_io_data_type(sdpa_graph::io_type(d.dtype))
      .set_intermediate_data_type(fe::DataType_t::FLOAT)
      .set_compute_data_type(fe::DataType_t::FLOAT);
  if (d.sm_count > 0) g->set_sm_count(d.sm_count);
  auto Q = sdpa_graph::tensor(*g, "Q", kQ, d.q);
  auto K = sdpa_graph::tensor(*g, "K", kK, d.k);
  auto V = sdpa_graph::tensor(*g, "V", kV, d.v);
  auto opts = fe::graph::SDPA_attributes().set_name("sdpa").set_generate_stats(d.stats).set_attn_scale(d.scale);
  sdpa_graph::set_band(opts, d.mask);
  auto [O, Stats] = g->sdpa(Q, K, V, opts);
  O->set_output(true).set_uid(kO).set_dim(sdpa_graph::bhsd_dim(d.o)).set_stride(sdpa_graph::bhsd_stride(d.o));
  if (d.stats) {
    Stats->set_output(true)
        .set_uid(kStats)
        .set_data_type(fe::DataType_t::FLOAT)
        .set_dim({d.q.shape[0], d.q.shape[2], d.q.shape[1], 1})
        .set_stride({d.lse_stride[0], d.lse_stride[1], d.lse_stride[2], d.lse_stride[3]});
  }
  std::string why =
      sdpa_graph::build(*g, handle, "cuDNN cannot run this attention (" + shape_text(d) + ")", &e->workspace);
  if (why.empty()) e->graph = std::move(g);
  return why;
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
  sdpa_graph::GraphCache<SdpaDesc> graphs;

  const sdpa_graph::BuiltGraph& entry(const SdpaDesc& d) { return graphs.get(d, build); }
};

CudnnSdpa::CudnnSdpa() : impl_(std::make_unique<Impl>()) {}
CudnnSdpa::~CudnnSdpa() = default;

std::string CudnnSdpa::prepare(const SdpaDesc& desc, int64_t* workspace) {
  const sdpa_graph::BuiltGraph& e = impl_->entry(desc);
  *workspace = e.workspace;
  return e.error;
}

void CudnnSdpa::run(const SdpaDesc& desc, const SdpaArgs& args, void* workspace, cudaStream_t stream) {
  const sdpa_graph::BuiltGraph& e = impl_->entry(desc);
  std::unordered_map<int64_t, void*> pack = {{kQ, const_cast<void*>(args.q)},
                                              {kK, const_cast<void*>(args.k)},
                                              {kV, const_cast<void*>(args.v)},
                                              {kO, args.o}};
  if (desc.stats) {
    if (!args.lse) CPB_FATAL("CudnnSdpa::run: the descriptor asks for stats but no LSE pointer was given");
    pack[kStats] = args.lse;
  }
  sdpa_graph::execute(impl_->graphs.handle(), e, pack, workspace, stream,
                      "cuDNN SDPA execute (" + shape_text(desc) + ")");
}

}  // namespace cpb
