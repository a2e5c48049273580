// The progress line of long sweeps (bench/report/progress.hpp).
#include <gtest/gtest.h>

#include <sstream>

#include "bench/report/progress.hpp"

namespace cpb {
namespace {

TEST(ReportProgress, EtaFormats) {
  EXPECT_EQ(format_eta(std::nullopt), "--:--");
  EXPECT_EQ(format_eta(0.0), "00:00");
  EXPECT_EQ(format_eta(59.6), "01:00");
  EXPECT_EQ(format_eta(754.0), "12:34");
  EXPECT_EQ(format_eta(3600.0 + 62.0), "1:01:02");
  EXPECT_EQ(format_eta(-1.0), "--:--");
}

TEST(ReportProgress, EtaIsTheMeanTimePerFinishedPointTimesThoseLeft) {
  EXPECT_FALSE(eta_seconds(0, 10, 5.0).has_value());
  EXPECT_DOUBLE_EQ(*eta_seconds(2, 10, 20.0), 80.0);
  EXPECT_DOUBLE_EQ(*eta_seconds(10, 10, 20.0), 0.0);
}

TEST(ReportProgress, LineNamesThePointAndFitsTheTerminal) {
  EXPECT_EQ(progress_line(2, 40, "hcms C=3 S=56160", 754.0), "[3/40] hcms C=3 S=56160  ETA 12:34");
  const std::string long_what(200, 'x');
  const std::string cut = progress_line(0, 5, long_what, std::nullopt, 60);
  EXPECT_LT(cut.size(), 60u);
  EXPECT_EQ(cut.rfind("...  ETA --:--"), cut.size() - 14);
}

TEST(ReportProgress, DisabledPrintsNothingEnabledErasesItsLine) {
  std::ostringstream off;
  Progress quiet(3, false, off);
  quiet.begin(0, "ulysses");
  quiet.end();
  EXPECT_EQ(off.str(), "");
  EXPECT_EQ(quiet.finished(), 1);

  std::ostringstream on;
  Progress p(3, true, on);
  p.begin(0, "ulysses S=1024");
  EXPECT_NE(on.str().find("[1/3] ulysses S=1024  ETA --:--"), std::string::npos) << on.str();
  EXPECT_EQ(on.str().find('\n'), std::string::npos);  // redrawn in place, never a new line
  p.end();
  EXPECT_EQ(on.str().substr(on.str().size() - 4), "\r\x1b[K");
  p.begin(1, "ring S=1024");
  EXPECT_NE(on.str().find("[2/3] ring S=1024  ETA 00:00"), std::string::npos) << on.str();
}

TEST(ReportProgress, NotWantedWhenQuiet) { EXPECT_FALSE(progress_wanted(true)); }

}  // namespace
}  // namespace cpb
