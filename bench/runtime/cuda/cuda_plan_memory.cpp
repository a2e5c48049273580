#include "bench/runtime/cuda/cuda_plan_memory.hpp"

#include <algorithm>
#include <numeric>

#include "bench/runtime/cuda/cuda_verify.hpp"
#include "bench/runtime/cuda/cuda_verify_gradients.hpp"

namespace cpb {
namespace {

SdpaTensor sdpa_tensor(const View& v) { return SdpaTensor{v.shape, v.stride}; }

SdpaTensor dense_tensor(const std::array<int64_t, 4>& shape) {
  return SdpaTensor{shape, {shape[1] * shape[2] * shape[3], shape[2] * shape[3], shape[3], 1}};
}

size_t align256(size_t bytes) { return (bytes + 255) / 256 * 256; }

}  // namespace

int storage_bytes(Storage s, DType dtype) { return s == Storage::F32 ? 4 : dtype_bytes(dtype); }

SdpaDesc attention_desc(const AttentionOp& a, DType dtype, int sm_count) {
  SdpaDesc d;
  d.dtype = dtype;
  d.q = sdpa_tensor(a.q);
  d.k = sdpa_tensor(a.k);
  d.v = sdpa_tensor(a.v);
  d.o = sdpa_tensor(a.o);
  d.stats = a.has_lse;
  if (a.has_lse) d.lse_stride = a.lse.stride;
  d.mask = a.mask();
  d.scale = a.scale;
  d.sm_count = sm_count;
  return d;
}

GradTileLayout grad_tile_layout(const AttentionBackwardOp& a, DType dtype) {
  const size_t eb = static_cast<size_t>(dtype_bytes(dtype));
  GradTileLayout g;
  g.dq = 0;
  g.dk = align256(static_cast<size_t>(a.dq.numel()) * eb);
  g.dv = g.dk + align256(static_cast<size_t>(a.dk.numel()) * eb);
  g.bytes = g.dv + align256(static_cast<size_t>(a.dv.numel()) * eb);
  return g;
}

SdpaBackwardDesc attention_backward_desc(const AttentionBackwardOp& a, DType dtype, int sm_count, bool deterministic) {
  SdpaBackwardDesc d;
  d.dtype = dtype;
  d.q = sdpa_tensor(a.q);
  d.k = sdpa_tensor(a.k);
  d.v = sdpa_tensor(a.v);
  d.o = sdpa_tensor(a.o);
  d.dout = sdpa_tensor(a.dout);
  d.dq = dense_tensor(a.dq.shape);
  d.dk = dense_tensor(a.dk.shape);
  d.dv = dense_tensor(a.dv.shape);
  d.lse_stride = a.lse.stride;
  d.mask = a.mask();
  d.scale = a.scale;
  d.deterministic = deterministic;
  d.sm_count = sm_count;
  return d;
}

std::string choose_backward_desc(const AttentionBackwardOp& a, DType dtype, int sm_count, CudnnSdpaBackward& sdpa,
                                 SdpaBackwardDesc* desc, int64_t* workspace) {
  *desc = attention_backward_desc(a, dtype, sm_count, true);
  std::string why = sdpa.prepare(*desc, workspace);
  if (why.empty() && *workspace <= kDeterministicWorkspaceCap) return why;
  *desc = attention_backward_desc(a, dtype, sm_count, false);
  return sdpa.prepare(*desc, workspace);
}

size_t PlanMemory::buffer_total() const { return std::accumulate(buffers.begin(), buffers.end(), size_t{0}); }
size_t PlanMemory::workspace_total() const {
  return std::accumulate(workspaces.begin(), workspaces.end(), size_t{0}) +
         std::accumulate(grad_tiles.begin(), grad_tiles.end(), size_t{0});
}

PlanMemory plan_memory(const Problem& p, const Plan& plan, CudnnSdpa& sdpa, CudnnSdpaBackward& sdpa_backward,
                       int sm_count) {
  PlanMemory m;
  for (const Buffer& b : plan.buffers)
    m.buffers.push_back(static_cast<size_t>(b.elems) * static_cast<size_t>(storage_bytes(b.storage, p.dtype)));
  m.workspaces.assign(plan.lanes.size(), 0);
  m.grad_tiles.assign(plan.lanes.size(), 0);
  for (const Step& s : plan.steps) {
    int64_t ws = 0;
    std::string why;
    if (s.kind() == OpKind::Attention) {
      why = sdpa.prepare(attention_desc(std::get<AttentionOp>(s.op), p.dtype, sm_count), &ws);
    } else if (s.kind() == OpKind::AttentionBackward) {
      const AttentionBackwardOp& a = std::get<AttentionBackwardOp>(s.op);
      SdpaBackwardDesc desc;
      why = choose_backward_desc(a, p.dtype, sm_count, sdpa_backward, &desc, &ws);
      m.deterministic = m.deterministic && desc.deterministic;
      size_t& tiles = m.grad_tiles.at(static_cast<size_t>(s.lane));
      tiles = std::max(tiles, grad_tile_layout(a, p.dtype).bytes);
    } else {
      continue;
    }
    if (!why.empty() && m.error.empty()) m.error = "step '" + s.label + "': " + why;
    size_t& lane = m.workspaces.at(static_cast<size_t>(s.lane));
    lane = std::max(lane, static_cast<size_t>(ws));
  }
  m.verify_scratch = verify_scratch_bytes(p, plan.local_tokens());
  if (p.backward())
    m.verify_scratch = std::max(m.verify_scratch, verify_gradients_scratch_bytes(p, plan.local_tokens()));
  return m;
}

}  // namespace cpb
