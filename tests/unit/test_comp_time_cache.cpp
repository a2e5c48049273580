// The compute-only time cache: what its key holds and leaves out, run_point timing a
// compute-only part once per round when points differ only by transport, and every round
// timing it again (measure_round), the first point of the round's order for all; the
// sweep's rounds numbered so, its cache emptied for each comparison group; an
// OutOfMemory in the parts leaving the round's loop and no cache entry.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "base/out_of_memory.hpp"
#include "bench/schedule.hpp"
#include "bench/sweep/comp_time_cache.hpp"
#include "bench/sweep/point_runner.hpp"
#include "bench/sweep/round_summary.hpp"
#include "bench/sweep/sweep.hpp"
#include "tests/unit/fixed_time_executor.hpp"
#include "tests/unit/mpi_test_session.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

Plan compute_only(const Problem& p, const std::string& schedule) {
  return filter_steps(find_schedule(schedule)->plan(p, 0), [](const Step& s) { return !s.is_comm(); });
}

TEST(CompTimeCache, KeyIgnoresTransportProfileAndCommLeversOnly) {
  const Problem p = test::make_problem(2, 64, 4, 4, 16, 1, Mask::Full);
  const Plan comp = compute_only(p, "ulysses");
  RunOptions a;
  a.transport = TransportKind::Nccl;
  const std::string k = CompTimeCache::key(p, comp, a);
  RunOptions b = a;
  b.transport = TransportKind::CeHost;
  b.profile = Profile::Pcie;
  b.levers.nccl_ctas = 4;
  b.levers.comm_high_priority = true;
  EXPECT_EQ(CompTimeCache::key(p, comp, b), k);

  RunOptions sms = a;
  sms.levers.attn_sms = 100;
  EXPECT_NE(CompTimeCache::key(p, comp, sms), k);
  RunOptions graph = a;
  graph.graph = true;
  EXPECT_NE(CompTimeCache::key(p, comp, graph), k);
  RunOptions unaligned = a;
  unaligned.align_start = false;
  EXPECT_NE(CompTimeCache::key(p, comp, unaligned), k);

  Problem fp16 = p;
  fp16.dtype = DType::FP16;
  EXPECT_NE(CompTimeCache::key(fp16, compute_only(fp16, "ulysses"), a), k);
  Problem chunked = p;
  chunked.chunks = 2;
  EXPECT_NE(CompTimeCache::key(chunked, compute_only(chunked, "hcms"), a), k);
  Problem longer = p;
  longer.S = 128;
  EXPECT_NE(CompTimeCache::key(longer, compute_only(longer, "ulysses"), a), k);

  CompTimeCache cache;
  EXPECT_EQ(cache.find(1, k), nullptr);
  cache.put(1, k, CompTimeCache::Entry{3.5, {3.4, 3.5, 3.6}, 7});
  ASSERT_NE(cache.find(1, k), nullptr);
  EXPECT_EQ(cache.find(1, k)->ms, 3.5);
  EXPECT_EQ(cache.find(1, k)->samples, (std::vector<double>{3.4, 3.5, 3.6}));
  EXPECT_EQ(cache.find(1, k)->point, 7);
  EXPECT_EQ(cache.find(2, k), nullptr) << "each round times the part again";
}

// Runs nothing and offers two transports and two profiles. A plan with attention and no
// exchange (the compute-only part) takes 7 ms, and each time one is prepared its time
// grows by 1 ms, so a reused time is told apart from a new measurement; every other plan
// takes 10 ms. With `oom_comm_part`, preparing a plan of exchanges only (the comm-only
// part) runs out of memory (one rank: no agreement needed).
class CountingRuntime final : public Runtime {
 public:
  std::string name() const override { return "counting"; }
  std::vector<TransportKind> transports() const override { return {TransportKind::Ce, TransportKind::CeHost}; }
  std::vector<Profile> profiles() const override { return {Profile::Nvlink, Profile::Pcie}; }
  Reason unsupported(const Problem&, const RunOptions&) const override { return std::nullopt; }
  std::unique_ptr<Executor> prepare(const Problem&, const Plan& plan, const RunOptions&) override {
    bool comm = false, all_comm = !plan.steps.empty();
    for (const Step& s : plan.steps) {
      comm = comm || s.is_comm();
      all_comm = all_comm && s.is_comm();
    }
    if (all_comm && oom_comm_part) throw OutOfMemory("device memory", 2, 1);
    if (comm || plan_flops(plan) == 0) return std::make_unique<test::FixedTimeExecutor>(10);
    return std::make_unique<test::FixedTimeExecutor>(7 + compute_only_prepared++);
  }
  std::vector<std::pair<std::string, std::string>> describe() const override { return {}; }

  int compute_only_prepared = 0;
  bool oom_comm_part = false;
};

// One timed run per loop, no warm-up runs: the runtime's executors take fixed times.
MeasureSettings one_run() {
  MeasureSettings m;
  m.warmup = 0;
  m.iterations = 1;
  m.min_iterations = 1;
  return m;
}

Point point(int index, TransportKind transport, int64_t S, Profile profile = Profile::Nvlink, int P = 1) {
  Point pt;
  pt.index = index;
  pt.schedule = "ulysses";
  pt.transport = transport;
  pt.profile = profile;
  pt.problem = test::make_problem(P, S, 4, 4, 16, 1, Mask::Full);
  return pt;
}

// One rank on a CountingRuntime, one timed run per loop, a cache for the round's
// compute-only parts: the context the run_point and sweep tests share.
class CompTimeCacheRun : public ::testing::Test {
 protected:
  void SetUp() override {
    if (mpi.size() != 1) GTEST_SKIP() << "a one-rank test";
  }
  const MpiSession& mpi = test::mpi_session();
  CountingRuntime rt;
  const MeasureSettings m = one_run();
  CompTimeCache cache;
  PointContext ctx{rt, m, mpi, "", &cache, {}, {}};
};

TEST_F(CompTimeCacheRun, RunPointTimesEachComputeOnlyPartOnce) {

  // One rank: the full plan has no exchange either, so it counts as compute-only too.
  const nlohmann::json first = run_point(point(0, TransportKind::Ce, 64), ctx);
  ASSERT_EQ(first["status"], "PASS") << first.dump();
  const int after_first = rt.compute_only_prepared;
  EXPECT_FALSE(first.contains("comp_ms_from"));
  const double first_comp = first["comp_ms"].get<double>();

  const nlohmann::json other_transport = run_point(point(1, TransportKind::CeHost, 64), ctx);
  EXPECT_EQ(other_transport["comp_ms"].get<double>(), first_comp);
  EXPECT_EQ(other_transport["comp_ms_from"], 0);
  EXPECT_EQ(other_transport["rounds"][0]["comp_ms_from"], 0);
  EXPECT_EQ(other_transport["rounds"][0]["comp_samples"], first["rounds"][0]["comp_samples"]);
  EXPECT_EQ(rt.compute_only_prepared, after_first + 1);  // the full plan only

  const nlohmann::json other_shape = run_point(point(2, TransportKind::Ce, 128), ctx);
  EXPECT_FALSE(other_shape.contains("comp_ms_from"));
  EXPECT_EQ(rt.compute_only_prepared, after_first + 3);  // its full plan and its own part

  // Without a cache every point times its part.
  PointContext uncached{rt, m, mpi, "", nullptr, {}, {}};
  const nlohmann::json again = run_point(point(3, TransportKind::CeHost, 64), uncached);
  EXPECT_FALSE(again.contains("comp_ms_from"));
  EXPECT_EQ(rt.compute_only_prepared, after_first + 5);
}

// Three points with one compute-only part, in three rounds of orders 0 1 2, 1 0 2 and
// 0 1 2: the first point of each round times the part, the others of that round take its
// time, and each record's comp_ms is the median of its rounds'.
TEST_F(CompTimeCacheRun, EachRoundTimesThePartAgainForItsFirstPoint) {
  const std::vector<Point> pts = {point(0, TransportKind::Ce, 64), point(1, TransportKind::CeHost, 64),
                                  point(2, TransportKind::Ce, 64)};
  std::vector<PointRecord> recs;
  for (const Point& p : pts) recs.push_back(run_point(p, ctx));
  const std::vector<std::vector<size_t>> orders = {{1, 0, 2}, {0, 1, 2}};
  for (size_t k = 0; k < orders.size(); ++k) {
    const int prepared = rt.compute_only_prepared;
    for (size_t i : orders[k]) add_round(recs[i], measure_round(pts[i], recs[i], static_cast<int>(k) + 2, ctx));
    EXPECT_EQ(rt.compute_only_prepared, prepared + 4) << "three loops and one compute-only part, round " << k + 2;
  }
  // Round 1: point 0 timed it; round 2: point 1; round 3: point 0.
  const std::vector<std::optional<int>> from0 = {std::nullopt, 1, std::nullopt}, from1 = {0, std::nullopt, 0},
                                        from2 = {0, 1, 0};
  for (const auto& [rec, from] :
       {std::pair{&recs[0], &from0}, std::pair{&recs[1], &from1}, std::pair{&recs[2], &from2}}) {
    ASSERT_EQ(rec->rounds->size(), 3u);
    std::vector<double> comp;
    for (size_t k = 0; k < 3; ++k) {
      EXPECT_EQ((*rec->rounds)[k].comp_ms_from, (*from)[k]) << rec->index << " round " << k + 1;
      comp.push_back(*(*rec->rounds)[k].comp_ms);
      EXPECT_EQ((*rec->rounds)[k].comp_samples, std::vector<double>{comp.back()});
    }
    // Each round's part took longer than the last (the runtime's counter): the median is round 2's.
    EXPECT_LT(comp[0], comp[1]);
    EXPECT_LT(comp[1], comp[2]);
    EXPECT_EQ(rec->comp_ms, comp[1]) << rec->index;
  }
  // Only a point that timed no round's part itself names a source: round 1's.
  EXPECT_FALSE(recs[0].comp_ms_from);
  EXPECT_FALSE(recs[1].comp_ms_from);
  EXPECT_EQ(recs[2].comp_ms_from, 0);
  EXPECT_EQ((*recs[0].rounds)[1].comp_ms, (*recs[2].rounds)[1].comp_ms);
}

// The records of a sweep of `points` in `rounds` rounds on `rt`, as its result file has
// them, by point index; the console goes nowhere.
std::vector<nlohmann::json> sweep_records(Runtime& rt, const std::vector<Point>& points, int rounds) {
  SweepConfig cfg;
  cfg.name = "comp_times";
  cfg.measure = one_run();
  cfg.measure.warmup_ms = 0;
  cfg.measure.rounds = rounds;
  SweepOptions opt;
  opt.quiet = true;
  opt.out = ::testing::TempDir() + "comp_times_sweep.json";
  std::ostringstream console;
  std::streambuf* const cout = std::cout.rdbuf(console.rdbuf());
  const int rc = run_sweep(cfg, points, rt, test::mpi_session(), opt);
  std::cout.rdbuf(cout);
  EXPECT_EQ(rc, 0) << console.str();
  std::ifstream in(opt.out);
  const nlohmann::json doc = nlohmann::json::parse(in);
  std::remove(opt.out.c_str());
  return doc.at("points").get<std::vector<nlohmann::json>>();
}

std::vector<double> round_comp_ms(const nlohmann::json& r) {
  std::vector<double> v;
  for (const auto& k : r.at("rounds")) v.push_back(k.at("comp_ms").get<double>());
  return v;
}

// Two comparison groups (two profiles) with one compute-only plan, and round numbers that
// start from 1 in each: the second group times its own part in every round, none taken
// from the first group, timed in another stretch of the sweep.
TEST_F(CompTimeCacheRun, ASecondComparisonGroupTimesItsOwnParts) {
  const std::vector<nlohmann::json> recs =
      sweep_records(rt, {point(0, TransportKind::Ce, 64), point(1, TransportKind::Ce, 64, Profile::Pcie)}, 2);
  ASSERT_EQ(recs.size(), 2u);
  for (const nlohmann::json& r : recs) {
    ASSERT_EQ(r["status"], "PASS") << r.dump();
    ASSERT_EQ(r["rounds"].size(), 2u);
    EXPECT_FALSE(r.contains("comp_ms_from")) << r["index"];
    for (const auto& k : r["rounds"]) EXPECT_FALSE(k.contains("comp_ms_from")) << r["index"] << " " << k.dump();
  }
  for (double first : round_comp_ms(recs[0]))
    for (double second : round_comp_ms(recs[1])) EXPECT_NE(first, second);
}

// One comparison group of two points with one compute-only plan (transports Ce and
// CeHost) in 3 rounds of orders 0 1, 1 0, 0 1: in each round the first point times the
// part and the other takes that round's time, not another round's.
TEST_F(CompTimeCacheRun, TheSweepTimesThePartOncePerRound) {
  const std::vector<nlohmann::json> recs =
      sweep_records(rt, {point(0, TransportKind::Ce, 64), point(1, TransportKind::CeHost, 64)}, 3);
  ASSERT_EQ(recs.size(), 2u);
  ASSERT_EQ(recs[0]["rounds"].size(), 3u);
  ASSERT_EQ(recs[1]["rounds"].size(), 3u);
  const std::vector<int> timer = {0, 1, 0};  // by round
  const std::vector<double> comp0 = round_comp_ms(recs[0]), comp1 = round_comp_ms(recs[1]);
  for (size_t k = 0; k < 3; ++k) {
    const nlohmann::json& taker = recs[static_cast<size_t>(1 - timer[k])]["rounds"][k];
    EXPECT_EQ(taker.value("comp_ms_from", -1), timer[k]) << "round " << k + 1;
    EXPECT_FALSE(recs[static_cast<size_t>(timer[k])]["rounds"][k].contains("comp_ms_from")) << "round " << k + 1;
    EXPECT_EQ(comp0[k], comp1[k]) << "round " << k + 1;
    for (size_t j = 0; j < k; ++j) EXPECT_NE(comp0[k], comp0[j]) << "rounds " << j + 1 << " and " << k + 1;
  }
}

// A comm-only part that runs out of memory (a plan of 2 ranks, run on a runtime that runs
// nothing): the round keeps its loop without parts, the point PASSes, and the compute-only
// time it took before is not kept, so the next point of the round times its own.
TEST_F(CompTimeCacheRun, AnOutOfMemoryInThePartsKeepsTheLoopWithoutParts) {
  const Point a = point(0, TransportKind::Ce, 64, Profile::Nvlink, 2);
  const Point b = point(1, TransportKind::CeHost, 64, Profile::Nvlink, 2);
  rt.oom_comm_part = true;
  PointRecord ra = run_point(a, ctx);
  ASSERT_EQ(ra.status, "PASS") << ra.reason.value_or("");
  add_round(ra, measure_round(a, ra, 2, ctx));
  ASSERT_EQ(ra.rounds->size(), 2u);
  for (const RoundRecord& k : *ra.rounds) {
    EXPECT_EQ(k.samples, std::vector<double>{10});
    EXPECT_FALSE(k.comp_ms || k.comm_ms || k.comp_ms_from);
    EXPECT_TRUE(k.comp_samples.empty() && k.comm_samples.empty());
  }
  EXPECT_FALSE(ra.comp_ms || ra.comm_ms || ra.comp_ms_from || ra.comm_time_ms);

  rt.oom_comm_part = false;
  const PointRecord rb = run_point(b, ctx);
  ASSERT_EQ(rb.status, "PASS") << rb.reason.value_or("");
  EXPECT_FALSE(rb.rounds->front().comp_ms_from) << "round 1's entry of the point that ran out";
  EXPECT_TRUE(rb.comp_ms && rb.comm_ms);
  EXPECT_FALSE(rb.comp_ms_from);
}

}  // namespace
}  // namespace cpb
