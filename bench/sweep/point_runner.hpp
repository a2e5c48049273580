// Runs one sweep point on a runtime: plan, verify, measure, time the compute-only and
// comm-only parts, and return the point's result record (point_record.hpp) with its
// first round; the sweep (sweep.hpp) adds the later rounds (the timed loop and the parts).
#pragma once

#include <string>

#include "bench/config/config.hpp"
#include "bench/report/point_record.hpp"
#include "bench/runtime.hpp"
#include "bench/sweep/point_context.hpp"

namespace cpb {

// Resolves the transport "auto" of `point` to the runtime's first; why the runtime lacks the
// point's transport or profile, or the point's own skip reason; none when it can run.
Reason resolve_transport(Point& point, const Runtime& runtime);

// Adds what chose a point's step order (OrderedPlans::step_order; nothing when null) to
// its record's planner.
void record_step_order(PointRecord& r, const nlohmann::json& step_order);

// Collective: every rank calls it with the same point. Returns the record on every rank.
// The ranks make the same collective calls in the same order, in these phases: the
// runtime's unsupported() agreed over the ranks (skipped_record when it refuses), the
// chunk calibration (chunks "auto"), the runtime's unsupported_plan() agreed likewise,
// the verified run, the timed loop and the step-timed runs (step_timed_runs.hpp), the
// verify reductions and the output digest, the bitwise check against the schedule's
// reference, the compute-only and comm-only parts (measure.isolate), the model figures
// and the memory the ranks' plans hold (Executor::memory_bytes: max and min over ranks).
// An OutOfMemory in any phase but the parts, agreed over the ranks, makes the point SKIPPED
// with the lowest failing rank's message (bytes needed and free); the sweep goes on. One in
// the parts leaves the round without them (time_isolated_parts).
PointRecord run_point(const Point& point, PointContext& ctx);

// Whether `r` takes part in the later rounds: it PASSed with a timed loop (a FAILED
// point's time is no result; a SKIPPED one has none).
bool timed_in_rounds(const PointRecord& r);

// Collective: round `round` (from 2) of the point run_point(point) gave `r` for
// (timed_in_rounds(r)): the point's plan (with chunks "auto", r.chunks_chosen) on an
// executor prepared again, which lives for this round only (the memory of one point's
// buffers at a time), warmed up and measured as in run_point, then its compute-only and
// comm-only parts (measure.isolate; isolated_parts.hpp, the compute-only time shared
// within the round; an OutOfMemory there leaves the round without parts). An OutOfMemory
// in preparing the loop's executor propagates. add_round (round_summary.hpp) folds the
// result into `r`.
RoundRecord measure_round(const Point& point, const PointRecord& r, int round, PointContext& ctx);

// The identity fields of a point's record: index, schedule, params, runtime, the build's
// commit and the schedule's option names. Precondition: point.schedule is registered
// (expand() makes points of registered schedules only).
PointRecord base_record(const Point& point, const std::string& runtime);

// A record for a point that does not run (status SKIPPED, with the reason).
PointRecord skipped_record(const Point& point, const std::string& runtime, const std::string& reason);

}  // namespace cpb
