// chunks "auto" on one rank: the calibration against a runtime whose times follow a known
// model, and on the CPU runtime through run_point, which records chunks_chosen and
// chunks_fit.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <utility>

#include "bench/schedules/hcms_chunks_auto.hpp"
#include "bench/sweep/point_runner.hpp"
#include "bench/runtime/cpu_runtime.hpp"
#include "tests/unit/fixed_time_executor.hpp"
#include "tests/unit/mpi_test_session.hpp"
#include "tests/unit/test_plan_util.hpp"

namespace cpb {
namespace {

// Runs nothing, taking `a` and `b` [ms] in turn.
class AlternatingExecutor final : public Executor {
 public:
  AlternatingExecutor(double a, double b) : a_(a), b_(b) {}
  double run(std::vector<StepTime>*) override { return runs_++ % 2 ? b_ : a_; }
  VerifyResult verify(VerifyMode) override { return {}; }
  std::vector<unsigned char> output_bytes() override { return {}; }
  double step_alone_ms(int) override { return a_; }

 private:
  double a_, b_;
  size_t runs_ = 0;
};

// Runs nothing, taking `fast` [ms] in its first `fast_runs` runs (warm-up included) and
// `slow` in every later one: a count whose loop starts in a fast mode and leaves it.
class TransientExecutor final : public Executor {
 public:
  TransientExecutor(double fast, int fast_runs, double slow) : fast_(fast), slow_(slow), fast_runs_(fast_runs) {}
  double run(std::vector<StepTime>*) override { return runs_++ < fast_runs_ ? fast_ : slow_; }
  VerifyResult verify(VerifyMode) override { return {}; }
  std::vector<unsigned char> output_bytes() override { return {}; }
  double step_alone_ms(int) override { return fast_; }

 private:
  double fast_, slow_;
  int fast_runs_, runs_ = 0;
};

// Runs nothing: a plan takes model.at(chunks) [ms] (and, when `alternate_ms` is set, that
// plus alternate_ms every other run; at `transient_chunks`, transient_fast_ms in its first
// transient_fast_runs runs and model.at(chunks) + transient_extra_ms after), a plan without
// attention steps (the comm-only part) t_comm; the plans at `rejected` chunks are refused
// by unsupported_plan.
class ModelRuntime final : public Runtime {
 public:
  ModelRuntime(ChunkFit model, double t_comm, std::vector<int> rejected)
      : model_(model), t_comm_(t_comm), rejected_(std::move(rejected)) {}

  std::string name() const override { return "model"; }
  std::vector<TransportKind> transports() const override { return {TransportKind::Mpi}; }
  Reason unsupported(const Problem&, const RunOptions&) const override { return std::nullopt; }
  Reason unsupported_plan(const Problem& p, const Plan&, const RunOptions&) override {
    if (std::find(rejected_.begin(), rejected_.end(), p.chunks) == rejected_.end()) return std::nullopt;
    return "refused";
  }
  std::unique_ptr<Executor> prepare(const Problem& p, const Plan& plan, const RunOptions&) override {
    const bool comm_only = plan_flops(plan) == 0;
    prepared.push_back(comm_only ? 0 : p.chunks);
    if (comm_only) return std::make_unique<test::FixedTimeExecutor>(t_comm_);
    if (p.chunks == transient_chunks)
      return std::make_unique<TransientExecutor>(transient_fast_ms, transient_fast_runs,
                                                 model_.at(p.chunks) + transient_extra_ms);
    if (alternate_ms > 0)
      return std::make_unique<AlternatingExecutor>(model_.at(p.chunks), model_.at(p.chunks) + alternate_ms);
    return std::make_unique<test::FixedTimeExecutor>(model_.at(p.chunks));
  }
  std::vector<std::pair<std::string, std::string>> describe() const override { return {}; }

  std::vector<int> prepared;  // chunk counts of the prepared plans, 0 for the comm-only one
  double alternate_ms = 0;    // [ms]
  int transient_chunks = 0, transient_fast_runs = 0;
  double transient_fast_ms = 0, transient_extra_ms = 0;  // [ms]

 private:
  ChunkFit model_;
  double t_comm_;
  std::vector<int> rejected_;
};

// hcms at P = 2 (this test's single rank plans rank 0), `heads_per_rank` heads per rank.
Problem auto_problem(int heads_per_rank) {
  Problem p = test::make_problem(2, 64, 2 * heads_per_rank, 2 * heads_per_rank, 16, 1, Mask::Full);
  p.chunks_auto = true;
  return p;
}

ChunkCalibration calibrate(ModelRuntime& rt, const Problem& p) {
  MeasureSettings m;
  m.warmup = 0;
  m.iterations = 2;
  return calibrate_chunks(rt, *find_schedule("hcms"), p, RunOptions{}, m, test::mpi_session().world(), 0);
}

TEST(ChunkAutoCalibration, ChoosesTheModelsFastestCount) {
  ModelRuntime rt(ChunkFit{2, 12, 0.75}, 7, {});
  const ChunkCalibration cal = calibrate(rt, auto_problem(8));  // candidates 1, 2, 4, 8
  // The final round times the two fastest again: 4 (T = 8), then 2 (9.5, ahead of 8 on a tie).
  EXPECT_EQ(rt.prepared, (std::vector<int>{0, 1, 2, 4, 8, 4, 2}));
  ASSERT_EQ(cal.samples.size(), 4u);
  EXPECT_EQ(cal.samples[3].chunks, 8);
  EXPECT_DOUBLE_EQ(cal.samples[3].time_ms, 2 + 12.0 / 8 + 0.75 * 8);
  EXPECT_DOUBLE_EQ(cal.t_comm_ms, 7);
  EXPECT_NEAR(cal.fit.X_ms, 12, 1e-9);
  EXPECT_NEAR(cal.fit.beta_ms, 0.75, 1e-9);
  EXPECT_EQ(cal.chosen, 4);  // sqrt(12 / 0.75)
  ASSERT_EQ(cal.final_round.size(), 2u);
  EXPECT_EQ(cal.final_round[0].chunks, 4);
  EXPECT_EQ(cal.final_round[1].chunks, 2);
  const nlohmann::json j = cal.to_json();
  EXPECT_EQ(j["candidates"].size(), 4u);
  EXPECT_EQ(j["candidates"][1],
            nlohmann::json::parse(R"({"chunks": 2, "time_ms": 9.5, "p10_ms": 9.5, "p90_ms": 9.5})"));
  EXPECT_EQ(j["final_round"], nlohmann::json::parse(R"([{"chunks": 4, "time_ms": 8, "p10_ms": 8, "p90_ms": 8},
                                                         {"chunks": 2, "time_ms": 9.5, "p10_ms": 9.5, "p90_ms": 9.5}])"));
  for (const char* key : {"A_ms", "X_ms", "beta_ms", "t_comm_ms"}) EXPECT_TRUE(j[key].is_number()) << key;
}

// Each candidate's loop of two timed runs takes t and t + 4 ms: p10, p50 and p90 of its
// loop are t + 0.4, t + 2 and t + 3.6 ms, and the record carries all three.
TEST(ChunkAutoCalibration, RecordsTheSpreadOfEachCandidatesLoop) {
  ModelRuntime rt(ChunkFit{2, 12, 0.75}, 7, {});
  rt.alternate_ms = 4;
  const ChunkCalibration cal = calibrate(rt, auto_problem(8));
  ASSERT_EQ(cal.samples.size(), 4u);
  for (const ChunkSample& s : cal.samples) {
    const double t = ChunkFit{2, 12, 0.75}.at(s.chunks);
    EXPECT_NEAR(s.p10_ms, t + 0.4, 1e-9) << s.chunks;
    EXPECT_NEAR(s.time_ms, t + 2, 1e-9) << s.chunks;
    EXPECT_NEAR(s.p90_ms, t + 3.6, 1e-9) << s.chunks;
  }
  const nlohmann::json c = cal.to_json()["candidates"][3];
  EXPECT_NEAR(c["p10_ms"].get<double>(), cal.samples[3].p10_ms, 1e-12);
  EXPECT_NEAR(c["p90_ms"].get<double>(), cal.samples[3].p90_ms, 1e-12);
}

TEST(ChunkAutoCalibration, TheModelsCountIsSnappedToEvenSplitsAndTimed) {
  // 12 heads: candidates 1, 2, 4, 12; sqrt(36 / 1) = 6 divides 12, so 6 is timed and,
  // being the fastest (T = 14 against 15 at 4), chosen.
  ModelRuntime rt(ChunkFit{2, 36, 1}, 7, {});
  const ChunkCalibration cal = calibrate(rt, auto_problem(12));
  EXPECT_EQ(rt.prepared, (std::vector<int>{0, 1, 2, 4, 12, 6, 6, 4}));
  EXPECT_EQ(cal.model_chunks, 6);
  EXPECT_EQ(cal.chosen, 6);
  ASSERT_EQ(cal.samples.size(), 5u);
  EXPECT_EQ(cal.samples[3].chunks, 6);  // ascending
  // 8 heads, sqrt(25) = 5 between the even splits 4 and 8, both already timed: 4 is faster.
  ModelRuntime rt8(ChunkFit{2, 25, 1}, 7, {});
  const ChunkCalibration c8 = calibrate(rt8, auto_problem(8));
  EXPECT_EQ(c8.model_chunks, 5);
  EXPECT_EQ(c8.chosen, 4);
  EXPECT_EQ(rt8.prepared, (std::vector<int>{0, 1, 2, 4, 8, 4, 8}));
}

// 8 heads per rank, times T(C) = 2 + 12 / C + 0.75 C (14.75, 9.5, 8, 9.5 at C = 1, 2, 4,
// 8), except that `chunks` takes 6 ms in the first `fast_runs` runs of each loop
// (warm-up included) and T + extra_ms after. The point's loop: 1 warm-up, 10 timed runs;
// the first round's loops: 1 warm-up, then a third of max_seconds (30 ms) over the 6 ms
// warm-up of `chunks`: 5 timed runs.
ChunkCalibration calibrate_with_transient(int chunks, int fast_runs, double extra_ms) {
  ModelRuntime rt(ChunkFit{2, 12, 0.75}, 7, {});
  rt.transient_chunks = chunks;
  rt.transient_fast_runs = fast_runs;
  rt.transient_fast_ms = 6;
  rt.transient_extra_ms = extra_ms;
  MeasureSettings m;
  m.warmup = 1;
  m.warmup_ms = 0;
  m.iterations = 10;
  m.min_iterations = 3;
  m.max_seconds = 0.09;
  return calibrate_chunks(rt, *find_schedule("hcms"), auto_problem(8), RunOptions{}, m, test::mpi_session().world(), 0);
}

// The miss of results/h200x2/2026-11-22_overlap_best (NCCL through host memory beside
// attention, pcie, S = 56160): C = 2 ran fast in a few runs, often a loop's first, and
// slow in most. Here C = 2 takes 6 ms in its first 4 runs and 14.5 after. Its first-round
// loop (1 warm-up at 6 ms, then a third of max_seconds, 30 ms, over 6 ms: 5 timed runs,
// 3 at 6 ms and 2 at 14.5) puts it first at p50 6 with p90 14.5; the final round's loop of
// the point's length (1 warm-up, 10 timed: 3 fast, 7 slow) has p50 14.5, and the steady 4
// (8 ms) is chosen.
TEST(ChunkAutoCalibration, TheFinalRoundRejectsACountFastOnlyInShortLoops) {
  const ChunkCalibration cal = calibrate_with_transient(2, 4, 5);
  ASSERT_EQ(cal.samples.size(), 4u);
  EXPECT_EQ(cal.samples[1].chunks, 2);
  EXPECT_DOUBLE_EQ(cal.samples[1].time_ms, 6);
  EXPECT_DOUBLE_EQ(cal.samples[1].p90_ms, 14.5);
  ASSERT_EQ(cal.final_round.size(), 2u);
  EXPECT_EQ(cal.final_round[0].chunks, 4);
  EXPECT_DOUBLE_EQ(cal.final_round[0].time_ms, 8);
  EXPECT_EQ(cal.final_round[1].chunks, 2);
  EXPECT_DOUBLE_EQ(cal.final_round[1].time_ms, 14.5);
  EXPECT_EQ(cal.chosen, 4);
}

// A tie in the final round keeps the first round's leader (here the larger count).
TEST(ChunkAutoCalibration, AFinalRoundTieKeepsTheFirstRoundsLeader) {
  // C = 8 takes 6 ms in its first 6 runs and 10 after, C = 4 takes 8. First round
  // (1 warm-up, 5 timed): 8 leads at 6 ms. Final round (1 warm-up, 10 timed): 8 runs 5 at
  // 6 and 5 at 10, p50 8, tied with 4.
  const ChunkCalibration cal = calibrate_with_transient(8, 6, 0.5);
  ASSERT_EQ(cal.samples.size(), 4u);
  EXPECT_DOUBLE_EQ(cal.samples[3].time_ms, 6);
  ASSERT_EQ(cal.final_round.size(), 2u);
  EXPECT_EQ(cal.final_round[0].chunks, 8);
  EXPECT_DOUBLE_EQ(cal.final_round[0].time_ms, 8);
  EXPECT_EQ(cal.final_round[1].chunks, 4);
  EXPECT_DOUBLE_EQ(cal.final_round[1].time_ms, 8);
  EXPECT_EQ(cal.chosen, 8);
}

TEST(ChunkAutoCalibration, EvenSplitNeighbours) {
  EXPECT_EQ(even_split_neighbours(7, 20), (std::vector<int>{5, 10}));
  EXPECT_EQ(even_split_neighbours(10, 20), (std::vector<int>{10}));
  EXPECT_EQ(even_split_neighbours(1, 20), (std::vector<int>{1}));
  EXPECT_EQ(even_split_neighbours(19, 20), (std::vector<int>{10, 20}));
  EXPECT_EQ(even_split_neighbours(3, 7), (std::vector<int>{1, 7}));
}

TEST(ChunkAutoCalibration, FewHeadsUseTheCommTimeAndStayInRange) {
  // Two heads per rank: candidates 1 and 2, X fixed to t_comm; sqrt(7 / 0.5) = 3.7 -> 2.
  ModelRuntime rt(ChunkFit{1, 7, 0.5}, 7, {});
  const ChunkCalibration cal = calibrate(rt, auto_problem(2));
  ASSERT_EQ(cal.samples.size(), 2u);
  EXPECT_DOUBLE_EQ(cal.fit.X_ms, 7);
  EXPECT_NEAR(cal.fit.A_ms, 1, 1e-9);
  EXPECT_NEAR(cal.fit.beta_ms, 0.5, 1e-9);
  EXPECT_EQ(cal.chosen, 2);
}

TEST(ChunkAutoCalibration, CountsARankCannotRunAreNeitherTimedNorChosen) {
  // 3 and 4 are refused: the fit over 1, 2, 8 still finds sqrt(12) = 3.46 -> 3 (a tie
  // with 4); its even-split neighbours are 2 (timed) and 4 (refused), so the fastest
  // count timed is taken: T(2) = 10 < T(8) = 11.5 < T(1) = 15.
  ModelRuntime rt(ChunkFit{2, 12, 1}, 7, {3, 4});
  const ChunkCalibration cal = calibrate(rt, auto_problem(8));
  EXPECT_EQ(rt.prepared, (std::vector<int>{0, 1, 2, 8, 2, 8}));
  EXPECT_NEAR(cal.fit.X_ms, 12, 1e-9);
  EXPECT_EQ(cal.chosen, 2);
  // 3 is refused but 4 is the choice: kept.
  ModelRuntime rt3(ChunkFit{2, 12, 0.75}, 7, {3});
  EXPECT_EQ(calibrate(rt3, auto_problem(8)).chosen, 4);
  // No single chunk: nothing timed, 1 (the runner then skips the point).
  ModelRuntime rt1(ChunkFit{2, 12, 0.75}, 7, {1});
  const ChunkCalibration none = calibrate(rt1, auto_problem(8));
  EXPECT_TRUE(rt1.prepared.empty());
  EXPECT_TRUE(none.samples.empty());
  EXPECT_TRUE(none.final_round.empty());
  EXPECT_EQ(none.chosen, 1);
}

TEST(ChunkAutoCalibration, RunPointOnTheCpuRuntimeRecordsTheChoice) {
  const MpiSession& mpi = test::mpi_session();
  std::unique_ptr<Runtime> cpu = make_cpu_runtime(mpi);
  MeasureSettings m;
  m.warmup = 0;
  m.iterations = 1;
  m.min_iterations = 1;
  PointContext ctx{*cpu, m, mpi, "", nullptr, {}, {}};
  Point pt;
  pt.schedule = "hcms";
  pt.transport = std::nullopt;  // auto
  pt.problem = test::make_problem(1, 64, 6, 3, 16, 1, Mask::Causal);
  pt.problem.chunks_auto = true;
  pt.problem.chunk_shape = ChunkShape::Taper;
  pt.problem.comm_lanes = 2;
  const nlohmann::json r = run_point(pt, ctx);
  EXPECT_EQ(r["status"], "PASS") << r.dump();
  EXPECT_EQ(r["params"]["chunks"], "auto");
  EXPECT_EQ(r["verify"]["bitwise_equal"], true);
  ASSERT_TRUE(r.contains("chunks_chosen")) << r.dump();
  const int chosen = r["chunks_chosen"].get<int>();
  EXPECT_GE(chosen, 1);
  EXPECT_LE(chosen, 6);
  const nlohmann::json& fit = r["chunks_fit"];
  EXPECT_EQ(fit["t_comm_ms"], 0.0);  // one rank: nothing to exchange
  // 1, 2, 4, 6, and 3 when the model lands between 2 and 6 without hitting a divisor.
  ASSERT_GE(fit["candidates"].size(), 4u);
  ASSERT_LE(fit["candidates"].size(), 5u);
  // The final round holds two of the first round's counts, none slower there than a count
  // left out (ties allowed), the faster of its own loops first.
  const nlohmann::json& final_round = fit["final_round"];
  ASSERT_EQ(final_round.size(), 2u);
  const int f0 = final_round[0]["chunks"].get<int>(), f1 = final_round[1]["chunks"].get<int>();
  EXPECT_NE(f0, f1);
  double slowest_in = 0, fastest_out = 1e300;
  int found = 0;
  for (const nlohmann::json& c : fit["candidates"]) {
    const double t = c["time_ms"].get<double>();
    EXPECT_GT(t, 0);
    const bool in = c["chunks"] == f0 || c["chunks"] == f1;
    found += in;
    if (in) slowest_in = std::max(slowest_in, t);
    else fastest_out = std::min(fastest_out, t);
  }
  EXPECT_EQ(found, 2);
  EXPECT_LE(slowest_in, fastest_out);
  EXPECT_LE(final_round[0]["time_ms"].get<double>(), final_round[1]["time_ms"].get<double>());
  EXPECT_EQ(chosen, final_round[0]["chunks"].get<int>());
  EXPECT_TRUE(fit["model_chunks"].is_number_integer());
  // A fixed chunk count records no calibration.
  pt.problem.chunks_auto = false;
  pt.problem.chunks = 2;
  EXPECT_FALSE(run_point(pt, ctx).chunks_fit.has_value());
}

}  // namespace
}  // namespace cpb
