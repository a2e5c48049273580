// Measures one row of `cpbench probe`: one transport's three plans (bench/probe/probe_plan.hpp)
// on a runtime, or the reason it cannot.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "bench/config/config.hpp"
#include "bench/probe/probe_plan.hpp"
#include "bench/runtime.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {

struct ProbeContext {
  Runtime& runtime;
  const MpiSession& mpi;
  MeasureSettings measure;  // warm-up, iterations and time budget of each of the three plans
  std::string profile;      // RunOptions::profile of every row
  ProbeFirst first = ProbeFirst::Attention;  // the step posted first in the "both" plan
};

// Collective: every rank calls it with the same arguments; returns the same row on every
// rank. `p` = probe_problem(shape) at the world size, `peer_elems` from probe_peer_elems.
// SKIPPED (probe_skipped_row) when the runtime does not offer `transport` or the profile,
// or when Runtime::unsupported or unsupported_plan (of the larger plan, both) refuses on any
// rank, with that rank's reason; else the three plans are timed one after another, each
// with measure() on an executor of its own, and probe_row() returned.
nlohmann::json probe_transport(ProbeContext& ctx, const Problem& p, int64_t peer_elems, const std::string& transport);

}  // namespace cpb
