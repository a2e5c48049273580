// The event-driven simulator of the plans of all ranks of one point (docs/SIMULATOR.md).
//
// Input: one Plan per rank (built by the schedules, exactly what the runtimes run), the
// links of the machine (SimLinks) and a compute-cost callback. Output: the start and end
// of every step of every rank and the makespan. The engine knows nothing of kernels or
// calibration; bench/sim/machine_cost.hpp turns a MachineModel into its inputs.
//
// The model, each rule a stated assumption:
//  - Steps: a step is ready when its deps and the step before it on its lane have ended
//    (lanes are in-order streams, as on the GPU).
//  - Compute (Copy, Attention, Merge): one SM resource per rank; ready compute steps run
//    one at a time, in the order they became ready (ties: list order). A compute step's
//    work is compute_ms(rank, step); while the rank sends or receives a flow at a rate
//    > 0, an Attention step's work advances at 1 / attention_slowdown (a flow stalled
//    beside it, rate 0, takes no SMs from it).
//  - Exchange: the k-th Exchange step of a lane within a group on every member rank is
//    one instance; it starts when every member rank has it ready (grouped point-to-point
//    calls do), waits `latency_us`, then runs one flow per transfer to another rank
//    (self transfers cost local_copy_ms, summed per rank, beside the flows). A flow of b
//    bytes waits `per_message_us` (plus `inter_latency_us` when it leaves the node), then
//    moves b bytes through its resources: the sender's egress and the receiver's ingress
//    link inside a node (capacity intra_gbps each), or the sender's and receiver's NICs
//    between nodes (inter_gbps each). Concurrent moving flows share each resource max-min
//    fairly; a flow whose sender or receiver runs an Attention step is capped at
//    comm_rate_beside_attention (intra) or inter_rate_beside_attention (inter) of that
//    fair share (0: the transport's kernels get no SMs beside full-grid attention, so
//    they stall); what a capped flow leaves is not given to the others.
//    The instance ends on all member ranks when its last flow (and self copy) ends.
//  - Ranks r and q share a node iff r / gpus_per_node == q / gpus_per_node.
// Units: ms for times, bytes, GB/s = 1e9 bytes/s, us where named.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "bench/plan/plan.hpp"

namespace cpb {

struct SimLinks {
  int gpus_per_node = 8;
  double intra_gbps = 0;        // per rank and direction, inside a node [GB/s] (> 0)
  double inter_gbps = 0;        // per rank (NIC) and direction, between nodes [GB/s] (> 0)
  double latency_us = 0;        // per exchange instance, before its flows start
  double inter_latency_us = 0;  // added to a flow that leaves the node
  double per_message_us = 0;    // per flow
  double comm_rate_beside_attention = 1;   // 0..1, flows inside a node
  double inter_rate_beside_attention = 1;  // 0..1, flows between nodes
  double attention_slowdown = 1;           // >= 1, attention beside an active flow
  int act_bytes = 2;                       // bytes of an Act element (F32: 4)
  std::function<double(int64_t bytes)> local_copy_ms;  // a self transfer
};

// Work of one compute step of one rank, [ms] >= 0, when it runs alone.
using ComputeCost = std::function<double(const Plan& plan, const Step& step)>;

// An Exchange step starts when its instance starts (every member ready); ready_ms is when
// its own deps and lane predecessor had ended. start_ms of a compute step: it got the SMs.
struct SimStepTime {
  double ready_ms = 0;
  double start_ms = 0;
  double end_ms = 0;
};

struct SimResult {
  double makespan_ms = 0;                         // max end over ranks and steps
  std::vector<std::vector<SimStepTime>> steps;    // [rank][step id]
  int64_t events = 0;                             // instants processed (for the tests and docs)
  int64_t rate_solves = 0;                        // max-min fair share computations
};

// Throws std::invalid_argument when the plans are inconsistent (instances whose member
// ranks disagree, a transfer without its matching receive, a deadlock: steps that never
// become ready), naming the rank, step and label; also for links out of their ranges and
// a compute cost that is negative or not finite.
SimResult simulate(const std::vector<Plan>& plans, const SimLinks& links, const ComputeCost& compute_ms);

}  // namespace cpb
