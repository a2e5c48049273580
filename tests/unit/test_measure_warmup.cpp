// measure(): the warm-up is at least `warmup` runs and continues until the untimed runs
// add up to `warmup_ms`, capped at kMaxTimedWarmupRuns; the timed runs follow.
#include <gtest/gtest.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "bench/sweep/measure.hpp"
#include "mpi_test_session.hpp"

namespace cpb::test {
namespace {

// Returns the given times in turn, then the last one forever; counts its runs.
class ScriptedExecutor final : public Executor {
 public:
  explicit ScriptedExecutor(std::vector<double> ms) : ms_(std::move(ms)) {}
  double run(std::vector<StepTime>*) override {
    const double t = ms_[std::min(runs, ms_.size() - 1)];
    ++runs;
    return t;
  }
  VerifyResult verify(VerifyMode) override { return {}; }
  std::vector<unsigned char> output_bytes() override { return {}; }
  double step_alone_ms(int) override { return 0; }  // measure() runs whole plans only
  size_t runs = 0;

 private:
  std::vector<double> ms_;
};

MeasureSettings settings(int warmup, double warmup_ms, int iterations) {
  MeasureSettings s;
  s.warmup = warmup;
  s.warmup_ms = warmup_ms;
  s.iterations = iterations;
  s.min_iterations = 1;
  return s;
}

TEST(MeasureWarmup, ShortRunsWarmUpUntilTheTimeFloor) {
  const MpiSession& mpi = mpi_session();
  ScriptedExecutor exec({1.5});
  const Measurement m = measure(exec, settings(2, 30, 4), mpi.world());
  EXPECT_EQ(m.warmup, 20);  // 20 x 1.5 ms reach 30 ms
  EXPECT_EQ(exec.runs, 24u);
  EXPECT_EQ(m.samples.size(), 4u);
}

TEST(MeasureWarmup, LongRunsKeepTheirWarmupCount) {
  const MpiSession& mpi = mpi_session();
  ScriptedExecutor exec({80, 80, 5});
  EXPECT_EQ(measure(exec, settings(2, 100, 3), mpi.world()).warmup, 2);  // 160 ms >= 100 ms
}

TEST(MeasureWarmup, NoFloorMeansExactlyTheCount) {
  const MpiSession& mpi = mpi_session();
  ScriptedExecutor none({1});
  EXPECT_EQ(measure(none, settings(0, 0, 1), mpi.world()).warmup, 0);
  ScriptedExecutor three({1});
  EXPECT_EQ(measure(three, settings(3, 0, 1), mpi.world()).warmup, 3);
}

TEST(MeasureWarmup, TheTimeFloorIsCappedInRuns) {
  const MpiSession& mpi = mpi_session();
  ScriptedExecutor free({0});
  EXPECT_EQ(measure(free, settings(2, 100, 1), mpi.world()).warmup, kMaxTimedWarmupRuns);
  ScriptedExecutor counted({0});
  EXPECT_EQ(measure(counted, settings(kMaxTimedWarmupRuns + 5, 100, 1), mpi.world()).warmup,
            kMaxTimedWarmupRuns + 5);
}

TEST(MeasureWarmup, TheWarmupSetsHowManyTimedRunsFit) {
  const MpiSession& mpi = mpi_session();
  ScriptedExecutor exec({500, 100});  // slowest warm-up run 500 ms: 2 of them fit in 1 s
  MeasureSettings s = settings(2, 0, 10);
  s.max_seconds = 1;
  EXPECT_EQ(measure(exec, s, mpi.world()).samples.size(), 2u);
}

}  // namespace
}  // namespace cpb::test
