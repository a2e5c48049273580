// A MachineModel applied to one point: the engine's links (SimLinks) for the point's
// transport, profile and node size, and the compute cost of each step (attention from
// the kernel table, copies and merges from their bandwidth models).
#pragma once

#include "bench/problem.hpp"
#include "bench/runtime.hpp"
#include "bench/sim/machine_model.hpp"
#include "bench/sim/sim_engine.hpp"

namespace cpb {

struct SimSetup {
  SimLinks links;
  ComputeCost compute_ms;
};

// Throws UsageError when the machine file has no model for (transport, profile), naming
// the file's transports, or when gpus_per_node < 1. The links: intra-node from the
// transport's model, inter-node from m.inter_node, act_bytes = dtype_bytes(problem.dtype),
// local_copy_ms(b) = bandwidth_ms(m.copy, 2 b) (a self transfer reads and writes b bytes).
// The compute cost of a step: Attention from the kernel table (attention_ms, in the
// problem's dtype), Copy bandwidth_ms(m.copy, copy_bytes), Merge bandwidth_ms(m.merge,
// merge_bytes); 0 for an Exchange (not compute). The setup holds its own copy of what it
// needs of `m`.
SimSetup machine_cost(const MachineModel& m, const Problem& problem, TransportKind transport, Profile profile,
                      int gpus_per_node);

// Bytes a copy step moves: every pair's elements read from src and written to dst, each
// at its buffer's storage size (act_bytes for Act, 4 for F32).
double copy_bytes(const Plan& plan, const CopyOp& c, int act_bytes);
// Bytes a merge moves: part_o (Act) and part_lse (F32) read; acc_o and acc_lse (F32)
// written, and also read unless `init`.
double merge_bytes(const Plan& plan, const MergeOp& m, int act_bytes);

}  // namespace cpb
