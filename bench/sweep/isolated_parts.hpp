// The compute-only and comm-only parts of a point's plan, each timed alone after a round's
// timed loop (docs/METRICS.md, "Compute-only and comm-only parts"), so that every round
// times them next to its own loop, in the round's order.
#pragma once

#include "bench/plan/plan.hpp"
#include "bench/problem.hpp"
#include "bench/report/point_record.hpp"
#include "bench/runtime.hpp"

namespace cpb {

struct PointContext;

// Collective: every rank calls it with the same point. Times the compute-only part (every
// step but the exchanges, filter_steps) and the comm-only part (the exchanges) of `plan`,
// the plan of point `index` made for `p` and run with `opt`, into `out`'s comp_ms,
// comp_samples, comm_ms and comm_samples; `round` (from 1) keys ctx.comp_times: a
// compute-only part timed earlier in the same round by a point with the same key is taken
// from it (comp_ms_from names that point) when every rank has it. An empty part counts 0.
// A compute-only time enters ctx.comp_times only once both parts are timed, so the point
// it names has that round's parts. An OutOfMemory while preparing either part (every rank
// together, Runtime::prepare) leaves `out` without parts: the round keeps its loop.
void time_isolated_parts(PointContext& ctx, int round, int index, const Problem& p, const Plan& plan,
                         const RunOptions& opt, RoundRecord& out);

}  // namespace cpb
