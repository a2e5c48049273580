// The overlap figures as functions of the measured times (docs/METRICS.md: "Compute at
// the plan's conditions", rho, bound, eta), shared by the point estimates (metrics.hpp)
// and their bootstrap intervals (overlap_intervals.hpp). Times in ms.
#pragma once

#include <algorithm>
#include <optional>

namespace cpb {

// The compute-only part's scale at the conditions of a serial Ulysses row timed at `t`
// with parts `comp` and `comm`: (t - comm) / comp; none when a part is empty or t <= comm.
inline std::optional<double> comp_scale_of(double t, double comp, double comm) {
  const double at_plan = t - comm;
  if (!(comp > 0) || !(comm > 0) || !(at_plan > 0)) return std::nullopt;
  return at_plan / comp;
}

// rho of parts `comp` (at the plan's conditions) and `comm`; none when both are 0.
inline std::optional<double> rho_of(double comp, double comm) {
  if (!(comp + comm > 0)) return std::nullopt;
  return comm / (comp + comm);
}

// The overlap bound of a problem with communication ratio `rho`.
inline double bound_of(double rho) { return 1.0 / std::max(rho, 1.0 - rho); }

// eta of a row with parts `comp` and `comm` timed at `t`; none when one part is empty.
inline std::optional<double> eta_of(double comp, double comm, double t) {
  const double serial = comp + comm;
  const double floor_t = std::max(comp, comm);
  if (!(serial - floor_t > 0)) return std::nullopt;
  return (serial - t) / (serial - floor_t);
}

}  // namespace cpb
