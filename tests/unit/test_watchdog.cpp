// The watchdog's bookkeeping (ArmedWaits) on made-up times: which armed wait is overdue,
// nesting, disarming, and the message; and the Watchdog's argument checks. The thread's
// timing is covered by tests/faults/watchdog_sigstop_rank.sh.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <stdexcept>
#include <string>

#include "comm/watchdog.hpp"

namespace cpb {
namespace {

using Clock = ArmedWaits::Clock;
using std::chrono::milliseconds;

const Clock::time_point t0 = Clock::time_point() + std::chrono::hours(1);

TEST(ArmedWaits, NothingArmedIsNeverOverdue) {
  ArmedWaits w;
  EXPECT_EQ(w.overdue(t0 + std::chrono::hours(100), 5), nullptr);
  EXPECT_EQ(w.innermost(), nullptr);
}

TEST(ArmedWaits, OverdueOnlyAfterTheTimeout) {
  ArmedWaits w;
  w.arm("MPI_Barrier called by run", t0, {});
  EXPECT_EQ(w.overdue(t0 + milliseconds(4999), 5), nullptr);
  EXPECT_EQ(w.overdue(t0 + milliseconds(5000), 5), nullptr);
  const ArmedWaits::Wait* late = w.overdue(t0 + milliseconds(5001), 5);
  ASSERT_NE(late, nullptr);
  EXPECT_EQ(late->what, "MPI_Barrier called by run");
}

TEST(ArmedWaits, TheOldestOverdueWaitIsNamedWithTheInnermost) {
  ArmedWaits w;
  w.arm("exchange step 'kv 1'", t0, [] { return "first unfinished step: 'kv 1'"; });
  w.arm("MPI_Waitall in run_exchange", t0 + milliseconds(2000), {});
  EXPECT_EQ(w.overdue(t0 + milliseconds(4000), 5), nullptr);
  const ArmedWaits::Wait* late = w.overdue(t0 + milliseconds(6000), 5);
  ASSERT_NE(late, nullptr);
  EXPECT_EQ(late->what, "exchange step 'kv 1'");
  EXPECT_EQ(w.timeout_message(*late, 5),
            "waited more than 5 s (the timeout: --timeout or measure.timeout) on exchange step 'kv 1'; "
            "first unfinished step: 'kv 1'; inside it, on MPI_Waitall in run_exchange");
}

TEST(ArmedWaits, ADisarmedWaitIsForgotten) {
  ArmedWaits w;
  const int outer = w.arm("outer", t0, {});
  const int inner = w.arm("inner", t0 + milliseconds(2000), {});
  w.disarm(outer);
  EXPECT_EQ(w.overdue(t0 + milliseconds(6000), 5), nullptr);  // inner: 4 s
  const ArmedWaits::Wait* late = w.overdue(t0 + milliseconds(7500), 5);
  ASSERT_NE(late, nullptr);
  EXPECT_EQ(late->what, "inner");
  EXPECT_EQ(w.timeout_message(*late, 5),
            "waited more than 5 s (the timeout: --timeout or measure.timeout) on inner");
  w.disarm(inner);
  w.disarm(12345);  // unknown: ignored
  EXPECT_EQ(w.overdue(t0 + std::chrono::hours(100), 5), nullptr);
  EXPECT_EQ(w.innermost(), nullptr);
}

TEST(ArmedWaits, TheTimeoutIsReadAtEachCheck) {
  ArmedWaits w;
  w.arm("allreduce", t0, {});
  EXPECT_EQ(w.overdue(t0 + milliseconds(3000), 5), nullptr);
  EXPECT_NE(w.overdue(t0 + milliseconds(3000), 2.5), nullptr);
}

TEST(Watchdog, RejectsATimeoutThatIsNotPositive) {
  EXPECT_THROW(Watchdog(0), std::invalid_argument);
  EXPECT_THROW(Watchdog(-1), std::invalid_argument);
  Watchdog w(1000);
  EXPECT_EQ(w.timeout_s(), 1000);
  EXPECT_THROW(w.set_timeout(0), std::invalid_argument);
  EXPECT_THROW(w.set_timeout(std::nan("")), std::invalid_argument);
  w.set_timeout(2000);
  EXPECT_EQ(w.timeout_s(), 2000);
}

}  // namespace
}  // namespace cpb
