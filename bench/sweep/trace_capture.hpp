// Collects one traced run's step times from every rank and writes the point's Chrome
// trace JSON (bench/report/trace.hpp) into a directory.
#pragma once

#include <string>
#include <vector>

#include "bench/config/config.hpp"
#include "bench/report/trace.hpp"
#include "bench/runtime.hpp"
#include "comm/mpi_session.hpp"

namespace cpb {

// Collective: gathers `steps` (this rank's) to rank 0, which labels them by every rank's
// plan (`plans`, [rank], as they ran; null: rebuilt from the schedule) and writes
// DIR/<index>_<schedule>_<params>.trace.json. With chunks "auto", point.problem.chunks
// must be the calibrated count the steps ran with.
void write_point_trace(const std::string& dir, const Point& point, const std::vector<StepTime>& steps,
                       const MpiSession& mpi, const std::vector<Plan>* plans = nullptr);

// One step of `plan` as a trace event: lane, label, kind, times `t`, the bytes it sends to
// other ranks (`act_bytes` per Act element, 4 per F32) and its peers, its FLOPs.
TraceStep to_trace_step(const Plan& plan, const StepTime& t, int act_bytes);

// The file name write_point_trace uses for `point`: <index>_<schedule>_P<P>_S<S>_H<H>,
// then "_" and the schedule's label() when it has one (hcms: _C4), then ".trace.json".
std::string trace_file_name(const Point& point);

}  // namespace cpb
