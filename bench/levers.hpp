// Overlap levers: runtime settings a sweep varies to see what lets communication run
// beside attention (docs/CONFIG.md, the lever axes). They change how a plan runs, never
// what it computes, so they are not part of the Problem and every schedule has them.
#pragma once

namespace cpb {

struct Levers {
  bool comm_high_priority = false;  // streams of lanes with Exchange steps at the greatest priority
  int nccl_ctas = 0;  // NCCL communicators made with minCTAs = maxCTAs = this; 0 = NCCL's choice
  int attn_sms = 0;   // cuDNN attention engines built for this many SMs; 0 = all of them
  // The steps on their lanes in the list scheduler's order over a machine file's cost model
  // (bench/sim/list_order.hpp), which `run` needs as --machine; false: the schedule's order.
  // Every runtime and the simulator apply it.
  bool list_order = false;

  // Whether a lever only the CUDA runtime applies is set (the simulator models none of them).
  bool any_cuda() const { return comm_high_priority || nccl_ctas > 0 || attn_sms > 0; }
};

}  // namespace cpb
