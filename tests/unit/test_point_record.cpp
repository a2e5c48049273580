// PointRecord: records written by run_point on the CPU runtime read back into the same
// JSON (to_json(from_json(x)) == x), absent fields stay absent; `options` names the
// schedule's options, and the output digest is equal between schedules whose outputs are
// bitwise equal (hcms and ulysses).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bench/report/stats.hpp"
#include "bench/runtime/cpu_runtime.hpp"
#include "bench/schedule.hpp"
#include "bench/sweep/point_runner.hpp"
#include "bench/sweep/round_summary.hpp"
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

// hcms_point on every rank of the test's world (mpirun: more than one).
Point world_hcms_point(int index) {
  Point pt = hcms_point(index);
  const int P = test::mpi_session().size();
  pt.problem = test::make_problem(P, 64, 2 * P, P, 16, 1, Mask::Causal);
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
  for (const char* key :
       {"verify", "time_ms", "warmup", "comp_ms", "comm_ms", "flops_per_rank_max", "comm_bytes_per_rank", "plan_steps",
        "tflops_per_gpu", "options", "rounds", "memory_bytes", "memory_bytes_min"})
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
  for (int k = 0; k < 2; ++k) add_round(r, measure_round(pt, r, k + 2, ctx));
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

// memory_bytes: the largest of the ranks' plans' buffers, each as fp32, and
// memory_bytes_min the smallest, counted here from every rank's plan.
TEST_F(PointRecordOnCpu, MemoryIsTheRanksPlansBuffersAsFp32) {
  const Point pt = world_hcms_point(0);
  const int P = test::mpi_session().size();
  std::vector<double> bytes;
  for (int rank = 0; rank < P; ++rank) {
    double b = 0;
    for (const Buffer& buf : find_schedule("hcms")->plan(pt.problem, rank).buffers) b += 4.0 * buf.elems;
    bytes.push_back(b);
  }
  const PointRecord r = run(pt).get<PointRecord>();
  ASSERT_EQ(r.status, "PASS") << r.reason.value_or("");
  EXPECT_EQ(r.memory_bytes, *std::max_element(bytes.begin(), bytes.end()));
  EXPECT_EQ(r.memory_bytes_min, *std::min_element(bytes.begin(), bytes.end()));
  // More than the Q, K, V and O shards: 4 bytes x 64 / P tokens x (2 H + 2 Hkv = 6 P heads) x D.
  EXPECT_GT(r.memory_bytes_min.value_or(0), 4.0 * 64 * 6 * 16);
}

// The CPU runtime's executors, but reporting memory_bytes() as `report(rank)` says.
class MemoryReportRuntime final : public Runtime {
 public:
  using Report = std::optional<double> (*)(int rank);
  explicit MemoryReportRuntime(Report report) : cpu_(make_cpu_runtime(test::mpi_session())), report_(report) {}
  std::string name() const override { return cpu_->name(); }
  std::vector<TransportKind> transports() const override { return cpu_->transports(); }
  Reason unsupported(const Problem& p, const RunOptions& opt) const override { return cpu_->unsupported(p, opt); }
  std::unique_ptr<Executor> prepare(const Problem& p, const Plan& plan, const RunOptions& opt) override {
    return std::make_unique<Reporting>(cpu_->prepare(p, plan, opt), report_(test::mpi_session().rank()));
  }
  std::vector<std::pair<std::string, std::string>> describe() const override { return cpu_->describe(); }

 private:
  class Reporting final : public Executor {
   public:
    Reporting(std::unique_ptr<Executor> inner, std::optional<double> bytes) : inner_(std::move(inner)), bytes_(bytes) {}
    double run(std::vector<StepTime>* steps) override { return inner_->run(steps); }
    VerifyResult verify(VerifyMode mode) override { return inner_->verify(mode); }
    std::vector<unsigned char> output_bytes() override { return inner_->output_bytes(); }
    double step_alone_ms(int step) override { return inner_->step_alone_ms(step); }
    std::optional<double> memory_bytes() const override { return bytes_; }

   private:
    std::unique_ptr<Executor> inner_;
    std::optional<double> bytes_;
  };
  std::unique_ptr<Runtime> cpu_;
  Report report_;
};

// Ranks that report different bytes: the largest and the smallest (under mpirun; one rank
// alone reports both); a rank that reports none leaves both fields out on every rank.
TEST_F(PointRecordOnCpu, MemoryIsTheLargestAndSmallestOverRanksOrAbsent) {
  const int P = test::mpi_session().size();
  MemoryReportRuntime by_rank([](int rank) -> std::optional<double> { return 1000.0 * (rank + 1); });
  PointContext ctx{by_rank, m_, test::mpi_session(), "", nullptr, {}, {}};
  const PointRecord r = run_point(world_hcms_point(0), ctx);
  ASSERT_EQ(r.status, "PASS") << r.reason.value_or("");
  EXPECT_EQ(r.memory_bytes, 1000.0 * P);
  EXPECT_EQ(r.memory_bytes_min, 1000.0);
  MemoryReportRuntime last_none([](int rank) -> std::optional<double> {
    if (rank == test::mpi_session().size() - 1) return std::nullopt;
    return 1000.0;
  });
  PointContext none_ctx{last_none, m_, test::mpi_session(), "", nullptr, {}, {}};
  const nlohmann::json j = run_point(world_hcms_point(1), none_ctx);
  ASSERT_EQ(j["status"], "PASS") << j.dump();
  EXPECT_FALSE(j.contains("memory_bytes")) << j.dump();
  EXPECT_FALSE(j.contains("memory_bytes_min")) << j.dump();
}

TEST(PointRecord, MemoryFieldsReadBackAndAreAbsentInOlderFiles) {
  PointRecord r = skipped_record(hcms_point(0), "cpu", "");
  r.status = "PASS";
  r.memory_bytes = 3.0 * (1 << 30);
  r.memory_bytes_min = 1.5 * (1 << 30);
  const nlohmann::json j = r;
  EXPECT_EQ(j["memory_bytes"], 3221225472.0);
  EXPECT_EQ(j["memory_bytes_min"], 1610612736.0);
  const PointRecord back = j.get<PointRecord>();
  EXPECT_EQ(back.memory_bytes, r.memory_bytes);
  EXPECT_EQ(back.memory_bytes_min, r.memory_bytes_min);
  EXPECT_EQ(round_trip(j), j);
  nlohmann::json older = j;
  older.erase("memory_bytes");
  older.erase("memory_bytes_min");
  const PointRecord old_record = older.get<PointRecord>();
  EXPECT_FALSE(old_record.memory_bytes.has_value());
  EXPECT_FALSE(old_record.memory_bytes_min.has_value());
  EXPECT_EQ(round_trip(older), older) << "absent stays absent";
}

// A round with its parts: loop samples `loop`, compute-only part `comp` (p50) with
// samples around it, comm-only part `comm` likewise.
RoundRecord round_with_parts(std::vector<double> loop, double comp, double comm) {
  RoundRecord k;
  k.stats = summarize(loop);
  k.samples = std::move(loop);
  k.comp_ms = comp;
  k.comp_samples = {comp - 0.25, comp, comp + 0.25};
  k.comm_ms = comm;
  k.comm_samples = {comm - 0.125, comm, comm + 0.125};
  return k;
}

// Two rounds (an even count): the record's comp_ms and comm_ms are the means of the two
// rounds' values, as summarize takes an even count's median; comm_time_ms pools both
// rounds' comm samples.
TEST(PointRecord, TwoRoundsPartsAreTheMeanOfTheRounds) {
  PointRecord r = skipped_record(hcms_point(0), "cpu", "");
  r.status = "PASS";
  r.reason.reset();
  add_round(r, round_with_parts({10, 11}, 2.0, 1.0));
  add_round(r, round_with_parts({12, 13}, 4.0, 3.0));
  EXPECT_EQ(r.comp_ms, 3.0);
  EXPECT_EQ(r.comm_ms, 2.0);
  ASSERT_TRUE(r.comm_time_ms);
  EXPECT_EQ(r.comm_time_ms->n, 6);
  EXPECT_EQ(r.comm_time_ms->p50, 2.0);
  EXPECT_FALSE(r.comp_ms_from);
}

// A record whose rounds carry their parts, their samples and a compute-only time from
// another point reads back from JSON unchanged, every field of every round.
TEST(PointRecord, RoundPartsAndSamplesReadBack) {
  PointRecord r = skipped_record(hcms_point(3), "cpu", "");
  r.status = "PASS";
  r.reason.reset();
  add_round(r, round_with_parts({10, 11, 12}, 2.5, 1.5));
  RoundRecord taken = round_with_parts({13, 14, 15}, 3.5, 0.75);
  taken.comp_ms_from = 1;
  add_round(r, std::move(taken));
  const nlohmann::json j = r;
  ASSERT_EQ(j["rounds"].size(), 2u);
  EXPECT_EQ(j["rounds"][0]["comm_samples"], (std::vector<double>{1.375, 1.5, 1.625}));
  EXPECT_EQ(j["rounds"][1]["comp_ms_from"], 1);
  const PointRecord back = j.get<PointRecord>();
  ASSERT_TRUE(back.rounds);
  ASSERT_EQ(back.rounds->size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    const RoundRecord &a = (*r.rounds)[k], &b = (*back.rounds)[k];
    EXPECT_EQ(b.samples, a.samples) << k;
    EXPECT_EQ(b.comp_ms, a.comp_ms) << k;
    EXPECT_EQ(b.comp_samples, a.comp_samples) << k;
    EXPECT_EQ(b.comp_ms_from, a.comp_ms_from) << k;
    EXPECT_EQ(b.comm_ms, a.comm_ms) << k;
    EXPECT_EQ(b.comm_samples, a.comm_samples) << k;
  }
  EXPECT_EQ(back.comp_ms, r.comp_ms);
  EXPECT_EQ(back.comm_ms, r.comm_ms);
  EXPECT_EQ(back.comm_time_ms->n, r.comm_time_ms->n);
  EXPECT_EQ(round_trip(j), j);
  EXPECT_EQ(round_trip(j).dump(2), j.dump(2));
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
