// step_timed_runs: half of the timed runs, from 1 to 5, give the per-step times.
#include <gtest/gtest.h>

#include "bench/sweep/step_timed_runs.hpp"

namespace cpb::test {
namespace {

TEST(StepTimedRuns, HalfOfTheTimedRunsFromOneToFive) {
  EXPECT_EQ(step_timed_runs(0), 1u);
  EXPECT_EQ(step_timed_runs(1), 1u);
  EXPECT_EQ(step_timed_runs(3), 1u);
  EXPECT_EQ(step_timed_runs(5), 2u);
  EXPECT_EQ(step_timed_runs(10), 5u);
  EXPECT_EQ(step_timed_runs(40), 5u);
}

}  // namespace
}  // namespace cpb::test
