// The watchdog's timeout as a setting: the config key measure.timeout (default, resolved
// value, bad values) and the --timeout option's check.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "bench/config/measure_settings.hpp"
#include "comm/watchdog.hpp"
#include "test_config_util.hpp"

namespace cpb {
namespace {

using test::contains;
using test::usage_error;

constexpr const char* kAxes = R"("schedule": "ulysses", "S": 64, "H": 2, "D": 8)";

class WatchdogSettings : public test::ConfigTest {};

TEST_F(WatchdogSettings, TimeoutDefaultsToTheWatchdogsDefault) {
  const SweepConfig cfg = load(kAxes);
  EXPECT_EQ(cfg.measure.timeout, Watchdog::kDefaultTimeoutS);
  EXPECT_EQ(cfg.resolved["measure"]["timeout"].get<double>(), Watchdog::kDefaultTimeoutS);
}

TEST_F(WatchdogSettings, TimeoutIsRead) {
  const SweepConfig cfg = load(kAxes, R"("measure": {"timeout": 12.5})");
  EXPECT_EQ(cfg.measure.timeout, 12.5);
  EXPECT_EQ(cfg.resolved["measure"]["timeout"].get<double>(), 12.5);
}

TEST_F(WatchdogSettings, BadTimeoutsAreUsageErrors) {
  EXPECT_TRUE(contains(usage_error([&] { load(kAxes, R"("measure": {"timeout": 0})"); }),
                       "measure.timeout: 0 is not a positive number; allowed: numbers > 0 [s]"));
  EXPECT_TRUE(contains(usage_error([&] { load(kAxes, R"("measure": {"timeout": -3})"); }),
                       "measure.timeout: -3 is not a positive number"));
  EXPECT_TRUE(contains(usage_error([&] { load(kAxes, R"("measure": {"timeout": "60"})"); }),
                       "measure.timeout: \"60\" is not a positive number"));
}

TEST(WatchdogTimeoutOption, OnlyPositiveFiniteNumbersPass) {
  EXPECT_EQ(cfg::check_timeout_option(5, "--timeout"), 5);
  EXPECT_TRUE(contains(usage_error([] { cfg::check_timeout_option(0, "--timeout"); }),
                       "--timeout: 0 is not a positive number; allowed: numbers > 0 [s]"));
  EXPECT_TRUE(contains(usage_error([] { cfg::check_timeout_option(-1, "--timeout"); }), "--timeout: -1"));
  EXPECT_TRUE(contains(usage_error([] { cfg::check_timeout_option(std::nan(""), "--timeout"); }),
                       "--timeout: nan is not a positive number"));
  EXPECT_TRUE(contains(usage_error([] { cfg::check_timeout_option(HUGE_VAL, "--timeout"); }),
                       "--timeout: inf is not a positive number"));
}

}  // namespace
}  // namespace cpb
