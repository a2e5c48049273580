// `cpbench calibrate --refit FILE`: the transports of an existing machine file fitted
// again from --from files, nothing measured (docs/SIMULATOR.md, "Refitting the
// transports"). The kernel table, copy, merge, inter_node and name are the file's, as
// its GPU measured them; only `transports` and the provenance's `sources` change, and
// `provenance.transports_refit` says how.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/sim/machine_model.hpp"

namespace cpb {

// `m` with transports = fit_transports(read_comm_sources(from)), provenance.sources =
// `from`, and provenance.transports_refit = `refit` (the refit's own provenance: commit,
// host, date, command) with "of" = `of` (the file refitted) and "from" = `from` added.
// Throws UsageError as read_comm_sources and fit_transports do.
MachineModel refit_transports(MachineModel m, const std::string& of, const std::vector<std::string>& from,
                              nlohmann::json refit);

}  // namespace cpb
