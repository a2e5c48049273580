// cpbench probe: the hidden fraction, bandwidth and slowdown of a row, its JSON and its
// console line (bench/probe/probe_metrics.hpp, bench/report/probe_table.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <sstream>

#include "bench/probe/probe_metrics.hpp"
#include "bench/report/probe_table.hpp"

namespace cpb {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

Stats p50(double ms) {
  Stats s;
  s.n = 1;
  s.p50 = s.p10 = s.p90 = s.min = s.max = s.mean = ms;
  return s;
}

TEST(ProbeHidden, FromNoneToAll) {
  EXPECT_DOUBLE_EQ(hidden_fraction(10, 4, 14), 0.0);  // serial: nothing hidden
  EXPECT_DOUBLE_EQ(hidden_fraction(10, 4, 10), 1.0);  // all of it under attention
  EXPECT_DOUBLE_EQ(hidden_fraction(10, 4, 12), 0.5);  // half
  EXPECT_DOUBLE_EQ(hidden_fraction(2, 8, 8), 0.25);   // comm the longer part: at most attn/comm hides
}

TEST(ProbeHidden, ClampedToZeroAndOne) {
  EXPECT_DOUBLE_EQ(hidden_fraction(10, 4, 20), 0.0);  // slower than serial (interference)
  EXPECT_DOUBLE_EQ(hidden_fraction(10, 4, 9), 1.0);   // faster than attention alone (noise)
}

TEST(ProbeHidden, UndefinedWithoutCommunicationTime) {
  EXPECT_TRUE(std::isnan(hidden_fraction(10, 0, 10)));
  EXPECT_TRUE(std::isnan(hidden_fraction(10, -1, 10)));
  EXPECT_TRUE(std::isnan(hidden_fraction(10, kNaN, 10)));
  EXPECT_TRUE(std::isnan(hidden_fraction(kNaN, 4, 10)));
  EXPECT_TRUE(std::isnan(hidden_fraction(10, 4, std::numeric_limits<double>::infinity())));
}

TEST(ProbeRates, BandwidthAndSlowdown) {
  EXPECT_DOUBLE_EQ(comm_gbps(1e9, 1000), 1.0);    // 1 GB in 1 s
  EXPECT_DOUBLE_EQ(comm_gbps(4.5e8, 1.5), 300.0);  // 450 MB in 1.5 ms
  EXPECT_TRUE(std::isnan(comm_gbps(1e9, 0)));
  EXPECT_DOUBLE_EQ(attn_slowdown(10, 12), 1.2);
  EXPECT_TRUE(std::isnan(attn_slowdown(0, 12)));
}

TEST(ProbeRow, FieldsOfAMeasuredRow) {
  ProbeMeasurement m;
  m.attn = p50(10);
  m.comm = p50(4);
  m.both = p50(12);
  m.bytes_per_rank = 4e9;
  const nlohmann::json r = probe_row("ce", m);
  EXPECT_EQ(r["transport"], "ce");
  EXPECT_EQ(r["status"], "OK");
  EXPECT_DOUBLE_EQ(r["attn_ms"].get<double>(), 10);
  EXPECT_DOUBLE_EQ(r["comm_ms"].get<double>(), 4);
  EXPECT_DOUBLE_EQ(r["both_ms"].get<double>(), 12);
  EXPECT_DOUBLE_EQ(r["hidden"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(r["comm_gbps"].get<double>(), 1000);
  EXPECT_DOUBLE_EQ(r["attn_slowdown"].get<double>(), 1.2);
  EXPECT_DOUBLE_EQ(r["bytes_per_rank"].get<double>(), 4e9);
  EXPECT_DOUBLE_EQ(r["time_ms"]["both"]["p50"].get<double>(), 12);
}

TEST(ProbeRow, UndefinedFiguresAreNull) {
  ProbeMeasurement m;
  m.attn = p50(10);
  m.comm = p50(0);
  m.both = p50(10);
  const nlohmann::json r = probe_row("nccl", m);
  EXPECT_TRUE(r["hidden"].is_null());
  EXPECT_TRUE(r["comm_gbps"].is_null());
  EXPECT_DOUBLE_EQ(r["attn_slowdown"].get<double>(), 1.0);
}

TEST(ProbeTable, RowsLineUpAndShowReasons) {
  ProbeMeasurement m;
  m.attn = p50(10);
  m.comm = p50(4);
  m.both = p50(12);
  m.bytes_per_rank = 4e9;
  std::ostringstream out;
  print_probe_header(out);
  print_probe_row(probe_row("nccl", m), out);
  print_probe_row(probe_skipped_row("ce", "GPU 0 has no peer access to GPU 1"), out);
  std::istringstream in(out.str());
  std::string header, ok, skipped;
  std::getline(in, header);
  std::getline(in, ok);
  std::getline(in, skipped);
  const size_t status = header.find("status");
  ASSERT_NE(status, std::string::npos);
  EXPECT_EQ(ok.substr(status, 2), "OK") << ok;
  EXPECT_EQ(skipped.substr(status, 7), "SKIPPED") << skipped;
  EXPECT_NE(ok.find(" 0.50 "), std::string::npos) << ok;   // hidden
  EXPECT_NE(ok.find(" 1000 "), std::string::npos) << ok;   // GB/s
  EXPECT_NE(ok.find(" 1.20 "), std::string::npos) << ok;   // attn x
  EXPECT_EQ(skipped.rfind("ce ", 0), 0u) << skipped;
  EXPECT_NE(skipped.find("GPU 0 has no peer access to GPU 1"), std::string::npos) << skipped;
}

}  // namespace
}  // namespace cpb
