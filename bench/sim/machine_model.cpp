#include "bench/sim/machine_model.hpp"

namespace cpb {

double bandwidth_ms(const BandwidthModel& b, double bytes) { return b.launch_us * 1e-3 + bytes / (b.gbps * 1e6); }

std::optional<TransportModel> find_transport(const MachineModel& m, TransportKind t, Profile p) {
  for (const TransportModel& tm : m.transports)
    if (tm.transport == t && tm.profile == p) return tm;
  return std::nullopt;
}

}  // namespace cpb
