// The machine model file (`cpbench calibrate` writes it, `simulate`/`advise`/`run
// --machine` read it): what one GPU's kernels cost and what each transport's links
// carry, versioned and with its provenance. Schema "cpbench-machine", version 1;
// docs/SIMULATOR.md documents every field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/dtype.hpp"
#include "bench/plan/plan.hpp"
#include "bench/runtime.hpp"

namespace cpb {

// One measured attention kernel: B=1, q_tokens x k_tokens, heads query heads over
// kv_heads key/value heads, head_dim, causal (q_tokens == k_tokens), dtype -> ms (p50).
struct KernelSample {
  int64_t q_tokens = 0, k_tokens = 0;
  int heads = 0, kv_heads = 0, head_dim = 0;
  bool causal = false;
  DType dtype = DType::BF16;
  double ms = 0;
};

// time = launch_us + bytes / gbps (bytes: read plus written).
struct BandwidthModel {
  double launch_us = 0;  // >= 0 [us]
  double gbps = 0;       // > 0 [GB/s = 1e9 bytes/s]
};
// The model's time for `bytes` [ms].
double bandwidth_ms(const BandwidthModel& b, double bytes);

// One transport under one interconnect profile, inside a node.
struct TransportModel {
  TransportKind transport = TransportKind::Nccl;
  Profile profile = Profile::Nvlink;
  double latency_us = 0;        // per exchange instance
  double per_message_us = 0;    // per transfer
  double gbps = 0;              // per rank and direction
  double rate_beside_attention = 1;  // 0..1 (probe fit, docs/SIMULATOR.md)
  double attention_slowdown = 1;     // >= 1 (probe)
  std::string source;           // the files it was fitted from
};

// Links between nodes: stated, not measured (no multi-node machine is at hand).
struct InterNodeModel {
  int gpus_per_node = 8;
  double nic_gbps = 50;        // one 400 Gb/s NIC per GPU [GB/s]
  double latency_us = 5;
  double rate_beside_attention = 0;  // NCCL carries inter-node traffic: kernels on SMs
  std::string note = "assumed";
};

inline constexpr const char* kMachineSchema = "cpbench-machine";
inline constexpr int kMachineSchemaVersion = 1;

struct MachineModel {
  int version = kMachineSchemaVersion;
  std::string name;                  // e.g. "h200"
  nlohmann::json provenance;         // host, GPU, versions, commit, date, sources
  std::vector<KernelSample> attention;
  BandwidthModel copy;               // strided copies / pack / unpack
  BandwidthModel merge;              // LSE merge
  std::vector<TransportModel> transports;
  InterNodeModel inter_node;
};

// Reads and checks a machine file; UsageError naming the field, the value and what is
// allowed (unknown schema or version, missing field, negative or zero bandwidth, ...).
// `where` names the document in messages (the path for read_machine_model). Every field
// is required and no other key is allowed; docs/SIMULATOR.md lists the checks.
MachineModel read_machine_model(const std::string& path);
MachineModel machine_model_from_json(const nlohmann::json& j, const std::string& where);
// The file's JSON: machine_model_from_json(to_json(m)) gives m back field for field, and
// to_json of that equals to_json(m).
nlohmann::json to_json(const MachineModel& m);

// The transport's model, or nullopt when the file has none for (transport, profile).
std::optional<TransportModel> find_transport(const MachineModel& m, TransportKind t, Profile p);

// Predicted time of one attention tile [ms]: exact at measured shapes, interpolated
// between them (docs/SIMULATOR.md states how), never negative. Throws UsageError when the
// table has no sample of the tile's head_dim, causal flag and dtype.
double attention_ms(const MachineModel& m, const AttentionOp& a, DType dtype);

}  // namespace cpb
