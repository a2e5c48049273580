// `cpbench report RESULT.json [--format md|csv]`: the result file as speedup tables
// (markdown, the way the HCMS and UltraAttn papers print them) or as CSV (one row per
// point, every field).
#pragma once

#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

namespace cpb {

// Markdown: a header with the provenance, then one table per problem group (all params
// but S and the schedule options: P, H, Hkv, D, B, mask, dtype, pass, transport, profile;
// titles name the pass when it is not fwd, and fwd too where the file has other passes).
// Rows: S ascending. Columns: one per schedule variant ("ulysses", "hcms C=2", "hcms C=3",
// "ring", "usp u=2", ...), in schedule_order(). A cell holds what its record has of:
// p50 time [ms], speedup vs Ulysses and vs Ring, overlap efficiency eta, and rho;
// SKIPPED/FAILED cells say so, and their reasons are listed under the table. Speedups and
// eta carry their 95% intervals where the records have them, a speedup whose interval
// holds 1 marked "\~". Under each table, per S and schedule with two variants or more, the
// best of them vs Ulysses (best_of.hpp): chosen on the odd rounds and reported on the even
// ones, or labelled as chosen and reported on the same rounds. Where the file holds other
// passes than fwd, a last section sets each problem's passes side by side
// (report_passes.hpp). `source` names the file in the header.
void write_markdown_report(const nlohmann::json& doc, const std::string& source, std::ostream& out);

// CSV (RFC 4180 quoting, "\n" line ends): a header row, then one row per point with
// every field of the record, flattened: params by their own names (P, S, ...), nested
// fields with dots (time_ms.p50, speedup.vs_ulysses, verify.max_abs_err), arrays as JSON
// text. Known fields come first in a fixed order, then any others sorted by name.
// Missing and null values are empty cells, but for the pass: its column is there when a
// record ran another pass than fwd, and then a record without one says "fwd".
void write_csv_report(const nlohmann::json& doc, std::ostream& out);

// The `cpbench report` command: loads `path` (load_result_file) and writes the report in
// `format` ("md" or "csv") to `out`. Returns the exit code: 0, or 2 after printing the
// error to stderr when the file cannot be read or the format is unknown.
int run_report(const std::string& path, const std::string& format, std::ostream& out);

}  // namespace cpb
