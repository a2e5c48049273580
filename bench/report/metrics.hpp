// Metrics that relate a row to others of the same sweep (docs/METRICS.md has the
// formulas): rho, the overlap bound, overlap efficiency eta, speedups vs Ulysses and
// Ring of the same problem, and the bus bandwidth of the communication.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

namespace cpb {

// Recomputes the derived fields of every record from the measured ones (time_ms, rounds,
// comp_ms, comm_ms, comm_bytes_per_rank). Idempotent; rows without times get none. The
// speedups and eta get 95% intervals (speedup_ci.vs_ulysses / vs_ring, eta_ci: objects
// {"lo", "hi"}; intervals.hpp) where the records involved have rounds.
void fill_derived_metrics(std::vector<nlohmann::json>& records);

// The params of a record without the schedule options (option_specs()), the transport
// and the overlap levers (lever_specs()): two records with the same key solve the same
// problem on the same interconnect profile.
nlohmann::json problem_key(const nlohmann::json& record);

}  // namespace cpb
