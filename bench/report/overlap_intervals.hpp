// The 95% intervals of rho, bound and eta (docs/METRICS.md, "Intervals"): the bootstrap
// of intervals.hpp over a record's rounds, each round's compute-only and comm-only parts
// drawn with that round's timed loop, paired by round with the records the figure also
// reads (the serial Ulysses row whose parts set the compute scale).
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

#include "bench/report/intervals.hpp"

namespace cpb {

// Whether every round of `r` carries its parts (numbers "comp_ms" and "comm_ms"), as
// records whose parts were timed in every round do; false without rounds.
bool parts_every_round(const nlohmann::json& r);

// The rounds of a record for figure_interval: series 0 the timed loops' samples, 1 and 2
// the compute-only and comm-only parts' (a round's "comp_samples" and "comm_samples", or
// its comp_ms / comm_ms exact where it has no samples: an empty part). A record without
// parts in every round has its record-level comp_ms and comm_ms as exact in each round;
// one without rounds is one exact round of time_ms.p50, comp_ms and comm_ms.
// Precondition: r has numbers time_ms.p50, comp_ms and comm_ms.
PointRounds overlap_rounds(const nlohmann::json& r);

// The intervals of rho and of the bound from the parts of `src`, the row rho is taken
// from, with its compute part scaled at its own conditions when `scaled` (a serial Ulysses
// source with a comp_scale), as the point estimate is; none unless parts_every_round(src).
struct RhoIntervals {
  std::optional<Interval> rho, bound;
};
RhoIntervals rho_intervals(const nlohmann::json& src, bool scaled);

// The interval of eta of row `r`, its compute part scaled by the serial Ulysses row
// `serial` (comp_scale_of its parts; null: unscaled); none when r has no round with
// samples. Resamples whose figure is undefined (an empty part, no scale) are left out.
std::optional<Interval> eta_interval(const nlohmann::json& r, const nlohmann::json* serial);

}  // namespace cpb
