// The short table `cpbench calibrate` prints once the machine file is written: per
// kernel class its samples and throughput range, the copy and merge models, and every
// transport's figures.
#pragma once

#include <ostream>

#include "bench/sim/machine_model.hpp"

namespace cpb {

void print_machine_summary(const MachineModel& m, std::ostream& out);

}  // namespace cpb
