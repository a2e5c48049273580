// PointRecord: records written by run_point on the CPU runtime read back into the same
// JSON (to_json(from_json(x)) == x), absent fields stay absent; `options` names the
// schedule's options, and the output digest is equal between schedules whose outputs are
// bitwise equal (hcms and ulysses).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>
#include <memory>
#include <string>

#include "bench/runtime/cpu_runtime.hpp"
#include "bench/schedule.hpp"
#include "bench/sweep/point_runner.hpp"
#include "tests/unit/mpi_test_session.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

nlohmann::json round_trip(const nlohmann::json& j) { return nlohmann::json(j.get<PointRecord>()); }

Point hcms_point(int index) {
  Point pt;
  pt.index = index;
  pt.schedule = "hcms";
  pt.transport = std::nullopt;  // auto
  pt.problem = test::make_problem(1, 64, 4, 2, 16, 1, Mask::Causal);
  pt.problem.chunks = 2;
  return pt;
}

class PointRecordOnCpu : public ::testing::Test {
 protected:
  void SetUp() override {
    cpu_ = make_cpu_runtime(test::mpi_session());
    m_.warmup = 0;
    m_.warmup_ms = 0;
    m_.iterations = 2;
    m_.min_iterations = 1;
  }
  nlohmann::json run(const Point& pt) {
    PointContext ctx{*cpu_, m_, test::mpi_session(), "", &cache_, {}, {}};
    return run_point(pt, ctx);
  }
  std::unique_ptr<Runtime> cpu_;
  MeasureSettings m_;
  CompTimeCache cache_;
};

TEST_F(PointRecordOnCpu, RunRecordsReadBackUnchanged) {
  const nlohmann::json first = run(hcms_point(0));
  ASSERT_EQ(first["status"], "PASS") << first.dump();
  for (const char* key : {"verify", "time_ms", "warmup", "comp_ms", "comm_ms", "flops_per_rank_max",
                          "comm_bytes_per_rank", "plan_steps", "tflops_per_gpu", "options", "rounds"})
    EXPECT_TRUE(first.contains(key)) << key;
  EXPECT_FALSE(first.contains("reason"));
  EXPECT_FALSE(first.contains("comm_time_ms")) << "one rank has no comm step";
  EXPECT_EQ(round_trip(first), first);
  // The second point takes comp_ms from the first.
  const nlohmann::json second = run(hcms_point(1));
  ASSERT_EQ(second["comp_ms_from"], 0) << second.dump();
  EXPECT_EQ(round_trip(second), second);
  // Bytes of a result file too (numbers print alike after the round trip).
  EXPECT_EQ(round_trip(second).dump(2), second.dump(2));
}

TEST_F(PointRecordOnCpu, LaterRoundsAddTheirLoopsAndTimeIsTheMedianOfRounds) {
  PointContext ctx{*cpu_, m_, test::mpi_session(), "", &cache_, {}, {}};
  const Point pt = hcms_point(0);
  PointRecord r = run_point(pt, ctx);
  ASSERT_TRUE(timed_in_rounds(r));
  ASSERT_EQ(r.rounds->size(), 1u);
  EXPECT_EQ(r.rounds->front().samples.size(), static_cast<size_t>(r.time_ms->n));
  for (int k = 0; k < 2; ++k) add_round(r, measure_round(pt, r, ctx));
  ASSERT_EQ(r.rounds->size(), 3u);
  std::vector<double> p50s;
  for (const RoundRecord& round : *r.rounds) {
    EXPECT_EQ(round.samples.size(), static_cast<size_t>(m_.iterations));
    p50s.push_back(round.stats.p50);
  }
  std::sort(p50s.begin(), p50s.end());
  EXPECT_DOUBLE_EQ(r.time_ms->p50, p50s[1]);
  EXPECT_EQ(r.time_ms->n, 3 * m_.iterations);
  const nlohmann::json j = r;
  EXPECT_EQ(j["rounds"].size(), 3u);
  EXPECT_EQ(round_trip(j), j);
}

TEST(PointRecord, FailedAndSkippedRecordsTakeNoLaterRounds) {
  PointRecord r = skipped_record(hcms_point(0), "cpu", "why not");
  EXPECT_FALSE(timed_in_rounds(r));
  r.status = "FAILED";
  r.time_ms = Stats{};
  r.rounds = std::vector<RoundRecord>{};
  EXPECT_FALSE(timed_in_rounds(r));
  r.status = "PASS";
  EXPECT_TRUE(timed_in_rounds(r));
}

TEST_F(PointRecordOnCpu, OptionsAreTheSchedulesAndDigestsMatchForBitwiseEqualOutputs) {
  const nlohmann::json h = run(hcms_point(0));
  ASSERT_EQ(h["verify"]["bitwise_equal"], true) << h.dump();
  EXPECT_EQ(h["options"], nlohmann::json({"chunks", "chunk_heads", "chunk_shape", "comm_order", "comm_lanes",
                                          "qkv_layout"}));
  Point u = hcms_point(1);
  u.schedule = "ulysses";
  const nlohmann::json ul = run(u);
  ASSERT_EQ(ul["status"], "PASS") << ul.dump();
  EXPECT_EQ(ul["options"], nlohmann::json({"qkv_layout"}));
  EXPECT_FALSE(ul["verify"].contains("bitwise_equal_to"));
  EXPECT_FALSE(ul["verify"].contains("bitwise_equal"));
  const std::string digest = h["verify"]["output_digest"].get<std::string>();
  EXPECT_EQ(digest.size(), 16u);
  EXPECT_EQ(digest.find_first_not_of("0123456789abcdef"), std::string::npos) << digest;
  EXPECT_EQ(ul["verify"]["output_digest"], digest);
  // Another problem, another output.
  u.problem.mask = Mask::Full;
  EXPECT_NE(run(u)["verify"]["output_digest"], digest);
}

TEST(PointRecord, SkippedRecordHasOnlyItsIdentityAndReason) {
  const nlohmann::json j = skipped_record(hcms_point(3), "cpu", "why not");
  nlohmann::json keys = nlohmann::json::array();
  for (const auto& [k, v] : j.items()) keys.push_back(k);
  EXPECT_EQ(keys, nlohmann::json({"git", "index", "options", "params", "reason", "runtime", "schedule", "status"}));
  EXPECT_EQ(j["status"], "SKIPPED");
  EXPECT_EQ(j["reason"], "why not");
  EXPECT_EQ(round_trip(j), j);
}

TEST(PointRecord, NullBitwiseEqualAndNonFiniteNumbersReadBack) {
  PointRecord r = skipped_record(hcms_point(0), "cpu", "");
  r.status = "FAILED";
  r.verify = VerifyRecord{};
  r.verify->max_abs_err = std::nan("");
  r.verify->bitwise_equal_to = "ulysses";  // the reference could not run: bitwise_equal null
  r.time_ms = Stats{};
  r.time_ms->cv = std::nan("");
  const nlohmann::json j = r;
  ASSERT_TRUE(j["verify"]["bitwise_equal"].is_null());
  const nlohmann::json text = nlohmann::json::parse(j.dump());  // NaN is written as null
  ASSERT_TRUE(text["verify"]["max_abs_err"].is_null());
  const PointRecord back = text.get<PointRecord>();
  EXPECT_TRUE(std::isnan(back.verify->max_abs_err));
  EXPECT_FALSE(back.verify->bitwise_equal.has_value());
  EXPECT_TRUE(std::isnan(back.time_ms->cv));
  EXPECT_EQ(nlohmann::json(back).dump(), j.dump());
}

TEST(PointRecord, MetricsOfOtherRowsAreNotPartOfIt) {
  nlohmann::json j = skipped_record(hcms_point(0), "cpu", "x");
  const nlohmann::json plain = j;
  j["speedup"] = {{"vs_ulysses", 1.5}};
  EXPECT_EQ(round_trip(j), plain);
}

}  // namespace
}  // namespace cpb
