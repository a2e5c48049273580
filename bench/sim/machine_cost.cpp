#include "bench/sim/machine_cost.hpp"

#include <memory>
#include <variant>

#include "base/usage_error.hpp"
#include "bench/sim/kernel_table.hpp"

namespace cpb {
namespace {

double elem_bytes(const Plan& plan, const View& v, int act_bytes) {
  return plan.buffers.at(static_cast<size_t>(v.buf)).storage == Storage::F32 ? 4.0 : static_cast<double>(act_bytes);
}

double view_bytes(const Plan& plan, const View& v, int act_bytes) {
  return static_cast<double>(v.numel()) * elem_bytes(plan, v, act_bytes);
}

TransportModel transport_model(const MachineModel& m, TransportKind transport, Profile profile) {
  if (const std::optional<TransportModel> t = find_transport(m, transport, profile)) return *t;
  std::string have;
  for (const TransportModel& t : m.transports)
    have += (have.empty() ? "" : ", ") + to_string(t.transport) + " under " + to_string(t.profile);
  throw UsageError("the machine model \"" + m.name + "\" has no model of transport " + to_string(transport) +
                   " under profile " + to_string(profile) + "; it has: " + (have.empty() ? "none" : have));
}

}  // namespace

double copy_bytes(const Plan& plan, const CopyOp& c, int act_bytes) {
  double bytes = 0;
  for (const CopyOp::Pair& p : c.pairs)
    bytes += view_bytes(plan, p.src, act_bytes) + view_bytes(plan, p.dst, act_bytes);
  return bytes;
}

double merge_bytes(const Plan& plan, const MergeOp& m, int act_bytes) {
  const double acc = view_bytes(plan, m.acc_o, act_bytes) + view_bytes(plan, m.acc_lse, act_bytes);
  return view_bytes(plan, m.part_o, act_bytes) + view_bytes(plan, m.part_lse, act_bytes) + (m.init ? 1 : 2) * acc;
}

namespace {

// The forward tile of the same shape and mask as backward tile `b`.
AttentionOp forward_tile(const AttentionBackwardOp& b) {
  AttentionOp a;
  a.q = b.q, a.k = b.k, a.v = b.v, a.o = b.o;
  a.causal = b.causal, a.diag = b.diag, a.window = b.window, a.scale = b.scale;
  a.heads = b.heads, a.q_tokens = b.q_tokens, a.k_tokens = b.k_tokens;
  return a;
}

double reduce_bytes(const Plan& plan, const ReduceOp& r, int act_bytes) {
  double bytes = 0;
  for (const CopyOp::Pair& p : r.pairs)
    bytes += view_bytes(plan, p.src, act_bytes) + 2 * view_bytes(plan, p.dst, act_bytes);
  return bytes;
}

double zero_bytes(const Plan& plan, const ZeroOp& z, int act_bytes) {
  double bytes = 0;
  for (const Slice& sl : z.slices)
    bytes += static_cast<double>(sl.count) * (plan.buffers.at(sl.buf).storage == Storage::F32 ? 4 : act_bytes);
  return bytes;
}

}  // namespace

SimSetup machine_cost(const MachineModel& m, const Problem& problem, TransportKind transport, Profile profile,
                      int gpus_per_node) {
  if (gpus_per_node < 1)
    throw UsageError("gpus per node: " + std::to_string(gpus_per_node) + " is not positive; allowed: integers >= 1");
  const TransportModel t = transport_model(m, transport, profile);
  SimSetup s;
  SimLinks& l = s.links;
  l.gpus_per_node = gpus_per_node;
  l.intra_gbps = t.gbps;
  l.inter_gbps = m.inter_node.nic_gbps;
  l.latency_us = t.latency_us;
  l.inter_latency_us = m.inter_node.latency_us;
  l.per_message_us = t.per_message_us;
  l.comm_rate_beside_attention = t.rate_beside_attention;
  l.inter_rate_beside_attention = m.inter_node.rate_beside_attention;
  l.attention_slowdown = t.attention_slowdown;
  l.act_bytes = dtype_bytes(problem.dtype);
  const BandwidthModel copy = m.copy, merge = m.merge;
  l.local_copy_ms = [copy](int64_t bytes) { return bandwidth_ms(copy, 2.0 * static_cast<double>(bytes)); };
  const auto table = std::make_shared<const KernelTable>(m.attention);
  const DType dtype = problem.dtype;
  const int act = l.act_bytes;
  s.compute_ms = [table, copy, merge, dtype, act](const Plan& plan, const Step& step) -> double {
    switch (step.kind()) {
      case OpKind::Attention:
        return table->ms(tile_shape(std::get<AttentionOp>(step.op), dtype));
      case OpKind::Copy:
        return bandwidth_ms(copy, copy_bytes(plan, std::get<CopyOp>(step.op), act));
      case OpKind::Merge:
        return bandwidth_ms(merge, merge_bytes(plan, std::get<MergeOp>(step.op), act));
      case OpKind::AttentionBackward:
        // Uncalibrated: the forward kernel's time scaled by the FLOP convention
        // (docs/SIMULATOR.md, "Backward pass").
        return kBackwardFlopFactor * table->ms(tile_shape(forward_tile(std::get<AttentionBackwardOp>(step.op)), dtype));
      case OpKind::Reduce:
        return bandwidth_ms(copy, reduce_bytes(plan, std::get<ReduceOp>(step.op), act));
      case OpKind::Zero:
        return bandwidth_ms(copy, zero_bytes(plan, std::get<ZeroOp>(step.op), act));
      case OpKind::Exchange:
        break;
    }
    return 0.0;
  };
  return s;
}

}  // namespace cpb
