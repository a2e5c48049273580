// A point record's figures over its rounds (docs/METRICS.md, "Rounds"): the timed loops'
// statistics, the GPU state and the isolated parts, recomputed as each round comes in.
#pragma once

#include "bench/report/point_record.hpp"

namespace cpb {

// Appends `round` to r.rounds and recomputes what depends on the rounds: time_ms
// (summarize_rounds), tflops_per_gpu (the same FLOPs at the new time_ms.p50, where it was
// set), gpu_state (the rounds' states combined), and where the rounds carry parts, comp_ms
// and comm_ms (the median of the rounds' values, as summarize_rounds takes time_ms.p50),
// comm_time_ms (summarize_rounds of the rounds' comm samples; absent without any) and
// comp_ms_from (the source of the first round with parts when no round timed its own
// compute-only part). A round without parts (isolate off, or an OutOfMemory in them) adds
// none.
void add_round(PointRecord& r, RoundRecord round);

}  // namespace cpb
