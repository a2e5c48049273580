// A hand-made machine model for the machine model and calibration tests.
#pragma once

#include <nlohmann/json.hpp>

#include "bench/sim/machine_model.hpp"

namespace cpb::test {

inline KernelSample kernel_sample(int64_t tokens, int heads, int kv_heads, int head_dim, bool causal, double ms,
                                  DType dtype = DType::BF16) {
  KernelSample s;
  s.q_tokens = s.k_tokens = tokens;
  s.heads = heads;
  s.kv_heads = kv_heads;
  s.head_dim = head_dim;
  s.causal = causal;
  s.dtype = dtype;
  s.ms = ms;
  return s;
}

// Two attention samples, copy and merge models, two transports and the inter-node links,
// every number distinct so a field read into the wrong place shows.
inline MachineModel sample_machine() {
  MachineModel m;
  m.name = "test";
  m.provenance = {{"host", "h"}, {"git", "abc"}};
  m.attention = {kernel_sample(1024, 8, 2, 128, false, 0.125), kernel_sample(2048, 8, 8, 64, true, 0.3)};
  m.copy = BandwidthModel{4.5, 1800.25};
  m.merge = BandwidthModel{6.5, 1200.75};
  TransportModel nccl;
  nccl.transport = TransportKind::Nccl;
  nccl.profile = Profile::Nvlink;
  nccl.latency_us = 21.5;
  nccl.per_message_us = 1.25;
  nccl.gbps = 350.5;
  nccl.rate_beside_attention = 0.375;
  nccl.attention_slowdown = 1.0625;
  nccl.source = "probe.json";
  TransportModel host = nccl;
  host.transport = TransportKind::CeHost;
  host.profile = Profile::Pcie;
  host.gbps = 38.5;
  host.source = "probe_pcie.json";
  m.transports = {nccl, host};
  m.inter_node.gpus_per_node = 4;
  m.inter_node.nic_gbps = 45.5;
  m.inter_node.latency_us = 7.25;
  m.inter_node.rate_beside_attention = 0.125;
  m.inter_node.note = "stated";
  return m;
}

}  // namespace cpb::test
