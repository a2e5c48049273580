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
// the file's transports.
SimSetup machine_cost(const MachineModel& m, const Problem& problem, TransportKind transport, Profile profile,
                      int gpus_per_node);

}  // namespace cpb
