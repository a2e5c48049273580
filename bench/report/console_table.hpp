// The console tables of `cpbench run`: the results table, printed a row at a time as
// points finish, and the overlap table, printed once the sweep is done (its speedups and
// rho need the other rows). Plain ASCII with fixed column widths, so rows printed
// separately line up; values that do not fit widen their cell.
#pragma once

#include <ostream>

#include <nlohmann/json.hpp>

namespace cpb {

// Results table columns: schedule (usp with u=...), P, S, H, Hkv, D, C (hcms chunks),
// mask, dtype, with `with_pass` the pass (fwd, bwd, fwd_bwd; record_pass), transport
// (with /profile unless nvlink), time p50 [p10, p90] in ms, attention TFLOP/s per rank,
// bytes sent per rank, max abs error, status, and a trailing note: the reason of a
// SKIPPED or FAILED row. Missing values print as "-". Header and rows of one table take
// the same `with_pass`: a sweep's, whether any of its points runs another pass than fwd.
void print_results_header(std::ostream& out, bool with_pass = false);
void print_results_row(const nlohmann::json& record, std::ostream& out, bool with_pass = false);
// Header and every record of the array `points`, with the pass column when a record ran
// another pass than fwd (has_other_pass).
void print_results_table(const nlohmann::json& points, std::ostream& out);

// True when any record of `points` has comp_ms or comm_ms.
bool has_overlap_data(const nlohmann::json& points);

// The overlap table: one block per problem group (all params but S and the schedule's
// options; see record_fields.hpp) titled with the group (its pass named, fwd included,
// when a record ran another pass than fwd), then one row per timed record
// (sorted by S, then schedule): schedule, S, C, time p50, comp, comm [ms], rho, bound,
// eta, speedup vs Ulysses and vs Ring; eta and the speedups with their 95% intervals where
// the records have them, a speedup whose interval contains 1 marked "~" (a legend line
// under the table explains the marks). Rows without a time are left out; prints nothing
// when has_overlap_data(points) is false.
void print_overlap_table(const nlohmann::json& points, std::ostream& out);

}  // namespace cpb
