#include "bench/runtime/cuda/cuda_plan_memory.hpp"

#include <algorithm>
#include <numeric>

#include "bench/runtime/cuda/cuda_verify.hpp"

namespace cpb {

int storage_bytes(Storage s, DType dtype) { return s == Storage::F32 ? 4 : dtype_bytes(dtype); }

SdpaDesc attention_desc(const AttentionOp& a, DType dtype, int sm_count) {
  SdpaDesc d;
  d.dtype = dtype;
  d.q = SdpaTensor{a.q.shape, a.q.stride};
  d.k = SdpaTensor{a.k.shape, a.k.stride};
  d.v = SdpaTensor{a.v.shape, a.v.stride};
  d.o = SdpaTensor{a.o.shape, a.o.stride};
  d.stats = a.has_lse;
  if (a.has_lse) d.lse_stride = a.lse.stride;
  d.mask = a.mask();
  d.scale = a.scale;
  d.sm_count = sm_count;
  return d;
}

size_t PlanMemory::buffer_total() const { return std::accumulate(buffers.begin(), buffers.end(), size_t{0}); }
size_t PlanMemory::workspace_total() const {
  return std::accumulate(workspaces.begin(), workspaces.end(), size_t{0});
}

PlanMemory plan_memory(const Problem& p, const Plan& plan, CudnnSdpa& sdpa, int sm_count) {
  PlanMemory m;
  for (const Buffer& b : plan.buffers)
    m.buffers.push_back(static_cast<size_t>(b.elems) * static_cast<size_t>(storage_bytes(b.storage, p.dtype)));
  m.workspaces.assign(plan.lanes.size(), 0);
  for (const Step& s : plan.steps) {
    if (s.kind() != OpKind::Attention) continue;
    const AttentionOp& a = std::get<AttentionOp>(s.op);
    int64_t ws = 0;
    const std::string why = sdpa.prepare(attention_desc(a, p.dtype, sm_count), &ws);
    if (!why.empty() && m.error.empty()) m.error = "step '" + s.label + "': " + why;
    size_t& lane = m.workspaces.at(static_cast<size_t>(s.lane));
    lane = std::max(lane, static_cast<size_t>(ws));
  }
  m.verify_scratch = verify_scratch_bytes(p, plan.local_tokens());
  return m;
}

}  // namespace cpb
