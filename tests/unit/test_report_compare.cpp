// cpbench compare against the fixtures in tests/fixtures: compare_base.json is the
// baseline (ulysses, hcms C=2, ring timed; hcms C=16 SKIPPED); each compare_*.json
// changes one thing.
#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "bench/report/compare.hpp"
#include "bench/report/result_file.hpp"

namespace cpb {
namespace {

std::string fixture(const std::string& name) { return std::string(CPB_SOURCE_DIR) + "/tests/fixtures/" + name; }

struct Outcome {
  int rc;
  std::string text;
};

Outcome compare_with_base(const std::string& name, double threshold = 5, double noise = 3) {
  std::ostringstream out;
  const int rc = run_compare(fixture("compare_base.json"), fixture(name), threshold, noise, out);
  return {rc, out.str()};
}

Comparison compare_docs(const std::string& name, double threshold = 5, double noise = 3) {
  return compare_results(load_result_file(fixture("compare_base.json")), load_result_file(fixture(name)), threshold,
                         noise);
}

// The verdict of the hcms C=2 point (the one the fixtures change).
Verdict hcms_verdict(const Comparison& c) {
  for (const ComparedPoint& p : c.points)
    if (p.point.rfind("hcms C=2 ", 0) == 0) return p.verdict;
  ADD_FAILURE() << "no hcms C=2 point";
  return Verdict::Skipped;
}

TEST(ReportCompare, IdenticalFilesPass) {
  const Outcome o = compare_with_base("compare_base.json");
  EXPECT_EQ(o.rc, 0) << o.text;
  const Comparison c = compare_docs("compare_base.json");
  EXPECT_EQ(c.count(Verdict::Same), 3);
  EXPECT_EQ(c.count(Verdict::Skipped), 1);  // SKIPPED in both: not compared, not a failure
  EXPECT_FALSE(c.regressed());
  EXPECT_NE(o.text.find("OK (exit 0)"), std::string::npos) << o.text;
}

TEST(ReportCompare, SmallJitterAndOtherOrderPass) {
  const Outcome o = compare_with_base("compare_same.json");
  EXPECT_EQ(o.rc, 0) << o.text;
  EXPECT_EQ(compare_docs("compare_same.json").count(Verdict::Same), 3);
}

TEST(ReportCompare, TenPercentRegressionFails) {
  const Outcome o = compare_with_base("compare_regress10.json");
  EXPECT_EQ(o.rc, 1) << o.text;
  const Comparison c = compare_docs("compare_regress10.json");
  EXPECT_EQ(hcms_verdict(c), Verdict::Slower);
  for (const ComparedPoint& p : c.points) {
    if (p.verdict != Verdict::Slower) continue;
    ASSERT_TRUE(p.change_pct && p.band_pct);
    EXPECT_NEAR(*p.change_pct, 10.0, 1e-9);
    EXPECT_NEAR(*p.band_pct, 5.0, 1e-9);  // 3 * sqrt(2) * 1% < 5%: the threshold rules
  }
  EXPECT_NE(o.text.find("REGRESSION (exit 1)"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("regressions:"), std::string::npos) << o.text;
}

TEST(ReportCompare, AThresholdAboveTheChangePasses) {
  EXPECT_EQ(compare_with_base("compare_regress10.json", 15).rc, 0);
}

TEST(ReportCompare, ChangeWithinTheNoiseBandPasses) {
  // +7.5% with cv 1% (base) and 3% (new): band = 3 * sqrt(0.01^2 + 0.03^2) = 9.49%.
  const Outcome o = compare_with_base("compare_noise.json");
  EXPECT_EQ(o.rc, 0) << o.text;
  const Comparison c = compare_docs("compare_noise.json");
  EXPECT_EQ(hcms_verdict(c), Verdict::Same);
  // Without the noise allowance the same change is a regression.
  EXPECT_EQ(hcms_verdict(compare_docs("compare_noise.json", 5, 0)), Verdict::Slower);
  EXPECT_EQ(compare_with_base("compare_noise.json", 5, 0).rc, 1);
}

TEST(ReportCompare, MissingPointFails) {
  const Outcome o = compare_with_base("compare_missing.json");
  EXPECT_EQ(o.rc, 1) << o.text;
  const Comparison c = compare_docs("compare_missing.json");
  EXPECT_EQ(c.count(Verdict::Missing), 1);
  EXPECT_NE(o.text.find("MISSING"), std::string::npos);
  EXPECT_NE(o.text.find("ring S=8192"), std::string::npos) << o.text;
}

TEST(ReportCompare, NewPointPasses) {
  const Outcome o = compare_with_base("compare_new_point.json");
  EXPECT_EQ(o.rc, 0) << o.text;
  const Comparison c = compare_docs("compare_new_point.json");
  EXPECT_EQ(c.count(Verdict::New), 1);
  EXPECT_EQ(c.points.back().verdict, Verdict::New);
  EXPECT_EQ(c.points.back().point.rfind("zigzag_ring", 0), 0u);
}

TEST(ReportCompare, FailedStatusFails) {
  const Outcome o = compare_with_base("compare_failed.json");
  EXPECT_EQ(o.rc, 1) << o.text;
  EXPECT_EQ(hcms_verdict(compare_docs("compare_failed.json")), Verdict::Failed);
  EXPECT_NE(o.text.find("differs bitwise"), std::string::npos) << o.text;
}

TEST(ReportCompare, FasterIsFlaggedButPasses) {
  const Outcome o = compare_with_base("compare_faster.json");
  EXPECT_EQ(o.rc, 0) << o.text;
  const Comparison c = compare_docs("compare_faster.json");
  EXPECT_EQ(hcms_verdict(c), Verdict::Faster);
  EXPECT_EQ(c.count(Verdict::Faster), 1);
  EXPECT_NE(o.text.find("faster beyond the band"), std::string::npos) << o.text;
  EXPECT_NE(o.text.find("1 FASTER"), std::string::npos) << o.text;
}

TEST(ReportCompare, SkippedInNewWhereBaseWasTimedIsMissing) {
  nlohmann::json base = load_result_file(fixture("compare_base.json"));
  nlohmann::json fresh = base;
  fresh["points"][2]["status"] = "SKIPPED";
  fresh["points"][2]["reason"] = "transport ce is not available";
  fresh["points"][2].erase("time_ms");
  const Comparison c = compare_results(base, fresh, 5, 3);
  EXPECT_EQ(c.points[2].verdict, Verdict::Missing);
  EXPECT_NE(c.points[2].note.find("not available"), std::string::npos);
}

TEST(ReportCompare, PointsDifferingInAnyParamDoNotMatch) {
  nlohmann::json base = load_result_file(fixture("compare_base.json"));
  nlohmann::json fresh = base;
  fresh["points"][0]["params"]["transport"] = "ce";
  const Comparison c = compare_results(base, fresh, 5, 3);
  EXPECT_EQ(c.count(Verdict::Missing), 1);
  EXPECT_EQ(c.count(Verdict::New), 1);
}

// Files of unrelated sweeps are bad input, not a regression of every point.
TEST(ReportCompare, FilesWithoutACommonPointAreBadInput) {
  nlohmann::json base = load_result_file(fixture("compare_base.json"));
  nlohmann::json fresh = base;
  for (auto& r : fresh["points"]) r["params"]["S"] = 3;
  try {
    compare_results(base, fresh, 5, 3);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("BASE and NEW have no point in common"), std::string::npos) << e.what();
  }
  fresh["points"] = nlohmann::json::array();
  EXPECT_THROW(compare_results(base, fresh, 5, 3), UsageError);
}

TEST(ReportCompare, BadInputExitsTwo) {
  std::ostringstream out;
  EXPECT_EQ(run_compare(fixture("compare_base.json"), fixture("no_such_file.json"), 5, 3, out), 2);
  EXPECT_EQ(run_compare(fixture("compare_base.json"), fixture("compare_base.json"), -1, 3, out), 2);
  EXPECT_THROW(compare_docs("compare_base.json", 5, -2), UsageError);
}

}  // namespace
}  // namespace cpb
