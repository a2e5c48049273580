// calibrate's time_step on a fake executor: one untimed run, settling runs for the wall
// time asked (bounded for a step that times at 0), then the budget's runs, the median.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <utility>
#include <vector>

#include "bench/runtime.hpp"
#include "bench/sim/calibrate_measure.hpp"

namespace cpb {
namespace {

// A step whose runs take `times` in turn [ms] (sleeping `sleep_ms` of wall time each).
class FakeStep final : public Executor {
 public:
  explicit FakeStep(std::vector<double> times, double sleep_ms = 0) : times_(std::move(times)), sleep_ms_(sleep_ms) {}
  double run(std::vector<StepTime>*) override { return 0; }
  VerifyResult verify(VerifyMode) override { return {}; }
  std::vector<unsigned char> output_bytes() override { return {}; }
  double step_alone_ms(int) override {
    if (sleep_ms_ > 0) std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(sleep_ms_));
    return times_[static_cast<size_t>(calls++) % times_.size()];
  }
  int calls = 0;

 private:
  std::vector<double> times_;
  double sleep_ms_;
};

TEST(CalibrateTimeStep, OneUntimedRunThenTheBudgetsRunsAndTheirMedian) {
  FakeStep f({2.0, 9.0, 1.0, 3.0, 2.5, 7.0});  // first (untimed) 2.0, then 9, 1, 3, 2.5, 7
  EXPECT_EQ(time_step(f, 0, 10.0), 3.0);       // 10 ms / 2 ms = 5 timed runs; their median
  EXPECT_EQ(f.calls, 6);
}

TEST(CalibrateTimeStep, TheBudgetsRunsAreClampedToThreeAndTwenty) {
  FakeStep slow({50.0});
  time_step(slow, 0, 10.0);
  EXPECT_EQ(slow.calls, 1 + 3);
  FakeStep fast({0.01});
  time_step(fast, 0, 10.0);
  EXPECT_EQ(fast.calls, 1 + 20);
}

TEST(CalibrateTimeStep, SettlingRunsLastTheWallTimeAsked) {
  FakeStep f({1.0}, 1.0);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(time_step(f, 0, 3.0, 40.0), 1.0);
  const double elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(elapsed, 40.0);
  EXPECT_GE(f.calls, 1 + 10 + 3);  // at most about 4 ms per 1 ms sleep on a loaded machine
}

TEST(CalibrateTimeStep, SettlingEndsForAStepThatTimesAtZero) {
  FakeStep f({0.0});
  EXPECT_EQ(time_step(f, 0, 1.0, 20.0), 0.0);  // ends by wall time (or the run bound), not by the times
  EXPECT_GT(f.calls, 1 + 20);
}

}  // namespace
}  // namespace cpb
