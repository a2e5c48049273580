// The console tables and `cpbench report` (markdown and CSV), on tests/fixtures/report_sweep.json:
// P=4, transports nccl and ce, S 16384 and 32768, ulysses / hcms C=2,4 / ring / usp u=2,
// with one SKIPPED (hcms C=4, ce, 32768) and one FAILED point (usp, nccl, 16384).
#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <vector>

#include "bench/report/console_table.hpp"
#include "bench/report/report.hpp"
#include "bench/report/result_file.hpp"

namespace cpb {
namespace {

std::string fixture(const std::string& name) { return std::string(CPB_SOURCE_DIR) + "/tests/fixtures/" + name; }

nlohmann::json sweep() { return load_result_file(fixture("report_sweep.json")); }

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);) lines.push_back(l);
  return lines;
}

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

TEST(ReportConsoleTable, RowsLineUpWithTheHeader) {
  std::ostringstream out;
  print_results_table(sweep()["points"], out);
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 21u);
  const std::size_t status_col = lines[0].find("status");
  ASSERT_NE(status_col, std::string::npos);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string at = lines[i].substr(status_col, 4);
    EXPECT_TRUE(at == "PASS" || at == "SKIP" || at == "FAIL") << lines[i];
  }
  EXPECT_TRUE(contains(lines[0], "time ms p50 [p10, p90]")) << lines[0];
  EXPECT_TRUE(contains(lines[0], "bytes/rank    mem/rank")) << lines[0];
}

TEST(ReportConsoleTable, RowShowsValuesAndReasons) {
  const nlohmann::json points = sweep()["points"];
  std::ostringstream out;
  print_results_row(points[1], out);  // hcms C=2, nccl, S=16384
  const std::string row = out.str();
  EXPECT_EQ(row.rfind("hcms ", 0), 0u) << row;
  EXPECT_TRUE(contains(row, " 16384 ")) << row;
  EXPECT_TRUE(contains(row, " 4.800 [4.752, 4.896] ")) << row;
  EXPECT_TRUE(contains(row, " 96.0 MiB ")) << row;
  EXPECT_TRUE(contains(row, " 3.9e-03 ")) << row;
  // mem/rank: memory_bytes (the fixture predates it: "-").
  nlohmann::json with_memory = points[1];
  with_memory["memory_bytes"] = 1.5 * (1 << 30);
  std::ostringstream mem;
  print_results_row(with_memory, mem);
  EXPECT_TRUE(contains(mem.str(), " 96.0 MiB    1.50 GiB ")) << mem.str();
  EXPECT_TRUE(contains(row, " 96.0 MiB           - ")) << row;

  for (const auto& r : points) {
    if (r["status"] == "PASS") continue;
    std::ostringstream o;
    print_results_row(r, o);
    EXPECT_TRUE(contains(o.str(), r["reason"].get<std::string>())) << o.str();
    if (r["status"] == "SKIPPED") {
      EXPECT_TRUE(contains(o.str(), " -  ")) << o.str();
    }
    if (r["schedule"] == "usp") {
      EXPECT_EQ(o.str().rfind("usp u=2 ", 0), 0u) << o.str();
    }
  }
}

TEST(ReportConsoleTable, MissingFieldsPrintDashes) {
  std::ostringstream out;
  print_results_row({{"schedule", "ring"}}, out);
  print_results_row(nlohmann::json::object(), out);
  print_results_row({{"schedule", "ring"}, {"params", nullptr}, {"time_ms", {{"p50", nullptr}}}}, out);
  EXPECT_EQ(lines_of(out.str()).size(), 3u);
  EXPECT_TRUE(contains(out.str(), "ring ")) << out.str();
}

TEST(ReportConsoleTable, OverlapTableOnePerGroup) {
  const nlohmann::json points = sweep()["points"];
  EXPECT_TRUE(has_overlap_data(points));
  std::ostringstream out;
  print_overlap_table(points, out);
  const std::string text = out.str();
  EXPECT_TRUE(contains(text, "overlap: P=4 H=32 Hkv=32 D=128 B=1 full bf16 nccl nvlink")) << text;
  EXPECT_TRUE(contains(text, "overlap: P=4 H=32 Hkv=32 D=128 B=1 full bf16 ce nvlink")) << text;
  EXPECT_TRUE(contains(text, "vs_ulysses")) << text;
  // Every point with a time: 20 less the SKIPPED one (the FAILED one has a time).
  int rows = 0;
  for (const auto& l : lines_of(text))
    if (!l.empty() && l.rfind("overlap:", 0) != 0 && l.rfind("schedule", 0) != 0) ++rows;
  EXPECT_EQ(rows, 19);
  // hcms C=2 on nccl, S=16384: rho 2/6, bound 1.5, speedup 6/4.8 = 1.25.
  EXPECT_TRUE(contains(text, "0.33               1.50")) << text;
  EXPECT_TRUE(contains(text, "1.25")) << text;

  std::ostringstream none;
  print_overlap_table(nlohmann::json::array({{{"schedule", "ring"}}}), none);
  EXPECT_EQ(none.str(), "");
}

// rho and the bound with their intervals where the record has them, rho's own-parts mark
// after the value; the legend names the intervals.
TEST(ReportConsoleTable, OverlapTablePrintsRhoAndBoundIntervals) {
  nlohmann::json ulysses = {{"schedule", "ulysses"}, {"params", {{"P", 2}, {"S", 1024}, {"transport", "nccl"}}},
                            {"status", "PASS"},      {"time_ms", {{"p50", 6.0}}},
                            {"comp_ms", 4.0},        {"comm_ms", 2.0},
                            {"rho", 1.0 / 3},        {"rho_ci", {{"lo", 0.31}, {"hi", 0.35}}},
                            {"bound", 1.5},          {"bound_ci", {{"lo", 1.45}, {"hi", 1.55}}}};
  nlohmann::json own = ulysses;
  own["schedule"] = "ring";
  own["rho_source"] = "self";
  std::ostringstream out;
  print_overlap_table(nlohmann::json::array({ulysses, own}), out);
  EXPECT_TRUE(contains(out.str(), " 0.33 [0.31, 0.35]  1.50 [1.45, 1.55]")) << out.str();
  EXPECT_TRUE(contains(out.str(), " 0.33* [0.31, 0.35]  1.50 [1.45, 1.55]")) << out.str();
  EXPECT_TRUE(contains(out.str(), "[lo, hi]: 95% interval")) << out.str();

  std::ostringstream md;
  write_markdown_report({{"schema_version", 1}, {"points", nlohmann::json::array({ulysses, own})}}, "x.json", md);
  EXPECT_TRUE(contains(md.str(), "ρ 0.33 [0.31, 0.35] · bound 1.50 [1.45, 1.55]")) << md.str();
  EXPECT_TRUE(contains(md.str(), "ρ 0.33\\* [0.31, 0.35]")) << md.str();
}

TEST(ReportMarkdown, OneTablePerGroupWithSchedulesAsColumns) {
  std::ostringstream out;
  write_markdown_report(sweep(), "report_sweep.json", out);
  const std::string md = out.str();
  EXPECT_TRUE(contains(md, "# cpbench report")) << md;
  EXPECT_TRUE(contains(md, "20 points (1 FAILED, 18 PASS, 1 SKIPPED)")) << md;
  EXPECT_TRUE(contains(md, "NVIDIA H100 80GB HBM3 x4")) << md;
  EXPECT_TRUE(contains(md, "cpbench 0.1.0 (git abcdef012345)")) << md;
  EXPECT_EQ(std::count(md.begin(), md.end(), '#'), 1 + 2 * 2) << md;  // title + two "## " headings
  EXPECT_TRUE(contains(md, "| S | ulysses | hcms C=2 | hcms C=4 | ring | usp u=2 |")) << md;
  // Rows sorted by S; the ulysses cell of 16384 on nccl: 6 ms, ring 4.9 ms, rho 2/6.
  EXPECT_TRUE(contains(md, "| 16384 | 6.000 ms · 1.00×U · 0.82×R · η 0.00 · ρ 0.33 · bound 1.50 |")) << md;
  EXPECT_TRUE(contains(md, "4 ranks on 1 node(s)")) << md;
  EXPECT_TRUE(contains(md, "| SKIPPED |")) << md;
  EXPECT_TRUE(contains(md, "FAILED: ")) << md;
  EXPECT_TRUE(contains(md, "- hcms C=4, S=32768: SKIPPED: chunks 4: not enough memory, needs 90 GiB")) << md;
  EXPECT_TRUE(contains(md, "- usp u=2, S=16384: FAILED: max abs error above tolerance")) << md;
}

TEST(ReportMarkdown, EmptyAndSparseFiles) {
  std::ostringstream out;
  write_markdown_report({{"schema_version", 1}, {"points", nlohmann::json::array()}}, "x.json", out);
  EXPECT_TRUE(contains(out.str(), "No points.")) << out.str();
  std::ostringstream sparse;
  write_markdown_report({{"points", {{{"schedule", "ring"}, {"params", {{"S", 4}}}}}}}, "y.json", sparse);
  EXPECT_TRUE(contains(sparse.str(), "| S | ring |")) << sparse.str();
  EXPECT_TRUE(contains(sparse.str(), "## all points")) << sparse.str();
  EXPECT_TRUE(contains(sparse.str(), "| 4 | - |")) << sparse.str();
}

TEST(ReportCsv, OneRowPerPointWithEveryField) {
  std::ostringstream out;
  write_csv_report(sweep(), out);
  const auto lines = lines_of(out.str());
  ASSERT_EQ(lines.size(), 21u);
  EXPECT_EQ(lines[0].rfind("schedule,runtime,status,reason,P,S,H,Hkv,D,B,mask,dtype,transport,profile,chunks,usp_u,"
                           "time_ms.p50,",
                           0),
            0u)
      << lines[0];
  EXPECT_TRUE(contains(lines[0], ",speedup.vs_ulysses,speedup.vs_ring,")) << lines[0];
  EXPECT_TRUE(contains(lines[0], ",verify.bitwise_equal_to,")) << lines[0];
  const std::size_t columns = std::count(lines[0].begin(), lines[0].end(), ',');
  for (const auto& l : lines) {
    if (!contains(l, "\"")) {
      EXPECT_EQ(std::count(l.begin(), l.end(), ','), columns) << l;
    }
  }
  // A reason with a comma is quoted.
  nlohmann::json doc = {{"points", {{{"schedule", "ring"}, {"params", {{"chunk_heads", {3, 2}}}},
                                     {"reason", "a, \"b\""}}}}};
  std::ostringstream q;
  write_csv_report(doc, q);
  EXPECT_EQ(q.str(), "schedule,reason,chunk_heads\nring,\"a, \"\"b\"\"\",\"[3,2]\"\n");
  // The memory columns beside the communication bytes, before the fields of no preferred place.
  nlohmann::json mem = {{"points",
                         {{{"schedule", "ring"},
                           {"comm_bytes_per_rank", 8},
                           {"memory_bytes", 64},
                           {"memory_bytes_min", 32},
                           {"busbw_gbps", 1},
                           {"chunks_chosen", 3}}}}};
  std::ostringstream m;
  write_csv_report(mem, m);
  EXPECT_EQ(m.str(),
            "schedule,comm_bytes_per_rank,memory_bytes,memory_bytes_min,busbw_gbps,chunks_chosen\nring,8,64,32,1,3\n");
}

TEST(ReportCommand, FormatsAndErrors) {
  std::ostringstream md, csv, bad;
  EXPECT_EQ(run_report(fixture("report_sweep.json"), "md", md), 0);
  EXPECT_TRUE(contains(md.str(), "## P=4")) << md.str();
  EXPECT_EQ(run_report(fixture("report_sweep.json"), "csv", csv), 0);
  EXPECT_EQ(csv.str().rfind("schedule,", 0), 0u);
  EXPECT_EQ(run_report(fixture("report_sweep.json"), "html", bad), 2);
  EXPECT_EQ(run_report(fixture("no_such.json"), "md", bad), 2);
  EXPECT_EQ(bad.str(), "");
}

}  // namespace
}  // namespace cpb
