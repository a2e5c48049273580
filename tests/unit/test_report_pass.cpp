// Records of several passes (params.pass: absent = fwd, else bwd or fwd_bwd): the metrics
// compare schedules within one pass only, and the tables show the pass where a file has
// another than fwd.
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "bench/report/console_table.hpp"
#include "bench/report/metrics.hpp"
#include "bench/report/record_fields.hpp"
#include "bench/report/report.hpp"

namespace cpb::test {
namespace {

using nlohmann::json;

// A timed record of `schedule` at `pass` ("" leaves params without one, as fwd records are).
json row(const std::string& schedule, const std::string& pass, double t, json extra_params = json::object()) {
  json params = json::parse(R"({"P": 2, "S": 1024, "H": 8, "Hkv": 8, "D": 64, "B": 1, "mask": "full",
                                "dtype": "bf16", "transport": "nccl", "profile": "nvlink"})");
  if (!pass.empty()) params["pass"] = pass;
  for (const auto& [k, v] : extra_params.items()) params[k] = v;
  return {{"schedule", schedule},    {"params", params},   {"status", "PASS"},
          {"time_ms", {{"p50", t}}}, {"comp_ms", t * 0.8}, {"comm_ms", t * 0.3}};
}

bool contains(const std::string& text, const std::string& what) { return text.find(what) != std::string::npos; }

TEST(ReportPass, AbsentIsFwd) {
  EXPECT_EQ(record_pass(row("ring", "", 1)), "fwd");
  EXPECT_EQ(record_pass(row("ring", "bwd", 1)), "bwd");
  EXPECT_EQ(record_pass(json::object()), "fwd");
  EXPECT_FALSE(has_other_pass(json::array({row("ring", "", 1), row("ring", "fwd", 1)})));
  EXPECT_TRUE(has_other_pass(json::array({row("ring", "", 1), row("ring", "fwd_bwd", 1)})));
  EXPECT_FALSE(has_other_pass(json::object()));
}

TEST(ReportPass, ThePassIsPartOfTheProblem) {
  EXPECT_NE(problem_key(row("ulysses", "", 1)), problem_key(row("ulysses", "bwd", 1)));
  EXPECT_NE(problem_key(row("ulysses", "bwd", 1)), problem_key(row("ulysses", "fwd_bwd", 1)));
  EXPECT_EQ(problem_key(row("ulysses", "bwd", 1)), problem_key(row("ring", "bwd", 1)));
  // A record that names fwd solves the problem of one that leaves it out.
  EXPECT_EQ(problem_key(row("ulysses", "", 1)), problem_key(row("ring", "fwd", 1)));
  EXPECT_EQ(schedule_options(row("ring", "fwd", 1)), json::object());
  EXPECT_EQ(variant_label(row("hcms", "bwd", 1, {{"chunks", 2}})), "hcms C=2");
  EXPECT_EQ(describe_point(row("ring", "bwd", 1)), "ring S=1024 P=2 H=8 Hkv=8 D=64 B=1 full bf16 nccl nvlink pass=bwd");
  EXPECT_EQ(describe_point(row("ring", "", 1)), "ring S=1024 P=2 H=8 Hkv=8 D=64 B=1 full bf16 nccl nvlink");
}

// Speedups compare schedules within one pass: a bwd row is never the reference of a fwd one.
TEST(ReportPass, SpeedupsWithinOnePass) {
  std::vector<json> rs = {row("ulysses", "", 10), row("ring", "", 8), row("ulysses", "bwd", 40), row("ring", "bwd", 20),
                          row("ring", "fwd_bwd", 30)};
  rs[2]["comm_ms"] = 20.0;  // the bwd problem's rho differs from the fwd one's (0.3)
  fill_derived_metrics(rs);
  EXPECT_DOUBLE_EQ(rs[1]["speedup"]["vs_ulysses"].get<double>(), 10.0 / 8);
  EXPECT_DOUBLE_EQ(rs[3]["speedup"]["vs_ulysses"].get<double>(), 40.0 / 20);
  EXPECT_DOUBLE_EQ(rs[2]["speedup"]["vs_ring"].get<double>(), 20.0 / 40);
  EXPECT_DOUBLE_EQ(rs[0]["speedup"]["vs_ring"].get<double>(), 8.0 / 10);
  // fwd_bwd has no Ulysses row of its own: no speedup, and rho is its own.
  EXPECT_FALSE(rs[4]["speedup"].contains("vs_ulysses"));
  EXPECT_EQ(rs[4]["rho_source"], "self");
  // rho of each pass from its own Ulysses row: comm / T_U (the compute part at the plan's conditions).
  EXPECT_DOUBLE_EQ(rs[1]["rho"].get<double>(), 3.0 / 10);
  EXPECT_DOUBLE_EQ(rs[3]["rho"].get<double>(), 20.0 / 40);
}

TEST(ReportPass, ConsoleTableShowsThePassOnlyWhereAFileHasAnother) {
  std::ostringstream fwd_only;
  print_results_table(json::array({row("ulysses", "", 10), row("ring", "", 8)}), fwd_only);
  EXPECT_FALSE(contains(fwd_only.str(), "pass")) << fwd_only.str();

  std::ostringstream mixed;
  print_results_table(json::array({row("ulysses", "", 10), row("ulysses", "bwd", 40)}), mixed);
  std::istringstream in(mixed.str());
  std::string header, fwd, bwd;
  std::getline(in, header);
  std::getline(in, fwd);
  std::getline(in, bwd);
  const size_t at = header.find("  pass  ");
  ASSERT_NE(at, std::string::npos) << header;
  EXPECT_LT(header.find("dtype"), at) << header;
  EXPECT_EQ(fwd.substr(at + 2, 4), "fwd ") << mixed.str();
  EXPECT_EQ(bwd.substr(at + 2, 4), "bwd ") << mixed.str();

  std::ostringstream overlap;
  print_overlap_table(json::array({row("ulysses", "", 10), row("ulysses", "bwd", 40)}), overlap);
  EXPECT_TRUE(contains(overlap.str(), "nvlink pass=fwd\n")) << overlap.str();
  EXPECT_TRUE(contains(overlap.str(), "nvlink pass=bwd\n")) << overlap.str();
}

TEST(ReportPass, MarkdownTablesPerPass) {
  std::ostringstream fwd_only;
  write_markdown_report({{"points", json::array({row("ulysses", "", 10)})}}, "x.json", fwd_only);
  EXPECT_FALSE(contains(fwd_only.str(), "pass=")) << fwd_only.str();
  std::ostringstream mixed;
  write_markdown_report({{"points", json::array({row("ulysses", "", 10), row("ulysses", "bwd", 40)})}}, "x.json",
                        mixed);
  EXPECT_TRUE(contains(mixed.str(), "## P=2 H=8 Hkv=8 D=64 B=1 full bf16 nccl nvlink pass=fwd\n")) << mixed.str();
  EXPECT_TRUE(contains(mixed.str(), "## P=2 H=8 Hkv=8 D=64 B=1 full bf16 nccl nvlink pass=bwd\n")) << mixed.str();
}

TEST(ReportPass, CsvHasAPassColumnWhereAFileHasAnotherPass) {
  std::ostringstream fwd_only;
  write_csv_report({{"points", json::array({row("ulysses", "", 10)})}}, fwd_only);
  EXPECT_FALSE(contains(fwd_only.str(), "pass")) << fwd_only.str();
  std::ostringstream mixed;
  write_csv_report({{"points", json::array({row("ulysses", "", 10), row("ulysses", "bwd", 40)})}}, mixed);
  std::istringstream in(mixed.str());
  std::string header, fwd, bwd;
  std::getline(in, header);
  std::getline(in, fwd);
  std::getline(in, bwd);
  EXPECT_TRUE(contains(header, ",dtype,pass,transport,")) << header;
  EXPECT_TRUE(contains(fwd, ",bf16,fwd,nccl,")) << fwd;
  EXPECT_TRUE(contains(bwd, ",bf16,bwd,nccl,")) << bwd;
}

}  // namespace
}  // namespace cpb::test
