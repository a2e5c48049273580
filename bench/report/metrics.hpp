// Metrics that relate a row to others of the same sweep (docs/METRICS.md has the
// formulas): rho, the overlap bound, overlap efficiency eta, speedups vs Ulysses and
// Ring of the same problem, and the bus bandwidth of the communication.
#pragma once

#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench/report/intervals.hpp"

namespace cpb {

// Recomputes the derived fields of every record from the measured ones (time_ms, rounds,
// comp_ms, comm_ms, comm_bytes_per_rank): rho, bound, eta from the compute-only part at
// the plan's conditions (comp_scale, comp_scale_from; rho_unmatched and eta_unmatched
// from the part as timed alone), speedups, busbw. Idempotent; rows without times get none. The
// speedups, eta, rho and the bound get 95% intervals (speedup_ci.vs_ulysses / vs_ring,
// eta_ci, rho_ci, bound_ci: objects {"lo", "hi"}; intervals.hpp, overlap_intervals.hpp)
// where the records involved have rounds (rho_ci and bound_ci: where rho's source row has
// its parts in every round).
void fill_derived_metrics(std::vector<nlohmann::json>& records);

// The reference row of `schedule` for row `r` (docs/METRICS.md, "Speedups") among `all`:
// the timed record of that schedule solving the same problem over NCCL without levers or
// how-options (the baseline every transport, lever and qkv_layout is compared with), else
// one with the transport and levers of `r`, preferring one without how-options; nullptr
// when none.
const nlohmann::json* speedup_reference(const std::vector<nlohmann::json>& all, const nlohmann::json& r,
                                        const char* schedule);

// The serial Ulysses row whose conditions row `r`'s isolated parts are matched to
// (docs/METRICS.md, "Compute at the plan's conditions"): the timed Ulysses record of the
// same problem and the same transport and levers as `r` that has comp_ms and comm_ms,
// `r` itself when it is one, preferring one without how-options; nullptr when none.
const nlohmann::json* serial_reference(const std::vector<nlohmann::json>& all, const nlohmann::json& r);

// The compute-only part's scale at the conditions of serial Ulysses row `u`:
// (T_U - T_comm(U)) / T_comp(U), the compute time inside the serial plan over the same
// compute timed alone; none when a part is empty or T_U <= T_comm(U).
std::optional<double> comp_scale(const nlohmann::json& u);

// Whether `r` has a field `key` that is a number (false for any other type: rows come
// from files too).
bool has_number(const nlohmann::json& r, const char* key);

// The samples of a record's rounds (its "rounds" array); empty when it has none.
RoundSamples round_samples(const nlohmann::json& record);

// The params of a record without the schedule options (option_specs()), the transport
// and the overlap levers (lever_specs()): two records with the same key solve the same
// problem on the same interconnect profile. The pass is part of the problem (absent:
// fwd), so a shape's fwd and bwd rows are never compared with each other.
nlohmann::json problem_key(const nlohmann::json& record);

}  // namespace cpb
