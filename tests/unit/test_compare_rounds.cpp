// cpbench compare on files timed in rounds: the A/A check of issue 16 on the synthetic
// fixtures tests/fixtures/aa_rounds_{a,b}.json (make_aa_fixtures.py: the same 12 points
// drawn twice from one distribution, 3 rounds each). Two draws give no SLOWER or FASTER
// point; the second with one point 3% slower (planted as scripts/results/plant_slowdown.py
// does) flags that point alone. And the band's noise from the rounds.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "bench/report/compare.hpp"
#include "bench/report/result_file.hpp"

namespace cpb {
namespace {

nlohmann::json fixture(const std::string& name) {
  return load_result_file(std::string(CPB_SOURCE_DIR) + "/tests/fixtures/" + name);
}

// Every time of the point with `index` times `factor` (plant_slowdown.py's rule).
void plant(nlohmann::json& doc, int index, double factor) {
  const auto scale = [factor](nlohmann::json& stats) {
    for (const char* k : {"p50", "p10", "p90", "min", "max", "mean"}) stats[k] = stats[k].get<double>() * factor;
  };
  for (auto& p : doc["points"]) {
    if (p["index"] != index) continue;
    scale(p["time_ms"]);
    for (auto& round : p["rounds"]) {
      scale(round);
      for (auto& x : round["samples"]) x = x.get<double>() * factor;
    }
  }
}

constexpr double kThreshold = 1.5, kNoise = 3;

TEST(CompareRounds, AATwoDrawsOfTheSamePointsAreSame) {
  const Comparison c = compare_results(fixture("aa_rounds_a.json"), fixture("aa_rounds_b.json"), kThreshold, kNoise);
  ASSERT_EQ(c.points.size(), 12u);
  EXPECT_EQ(c.count(Verdict::Same), 12);
  for (const ComparedPoint& p : c.points) {
    ASSERT_TRUE(p.base_ms && p.band_pct);
    EXPECT_GT(*p.base_ms, 10) << p.point;
    EXPECT_GE(*p.band_pct, kThreshold);
  }
  EXPECT_FALSE(c.regressed());
}

TEST(CompareRounds, APlantedThreePercentSlowdownIsFlaggedAlone) {
  nlohmann::json b = fixture("aa_rounds_b.json");
  plant(b, 5, 1.03);
  const Comparison c = compare_results(fixture("aa_rounds_a.json"), b, kThreshold, kNoise);
  EXPECT_EQ(c.count(Verdict::Slower), 1);
  EXPECT_EQ(c.count(Verdict::Faster), 0);
  EXPECT_EQ(c.count(Verdict::Same), 11);
  ASSERT_EQ(c.points[5].verdict, Verdict::Slower) << c.points[5].point;
  EXPECT_EQ(c.points[5].point.rfind("hcms C=2 S=49152 ", 0), 0u) << c.points[5].point;
  EXPECT_TRUE(c.regressed());
}

// One timed record with rounds of the given p50s (and a cv the rounds override).
nlohmann::json with_rounds(const std::vector<double>& p50s, double time_p50) {
  nlohmann::json r = {{"schedule", "ulysses"}, {"params", {{"S", 1}}}, {"status", "PASS"},
                      {"time_ms", {{"p50", time_p50}, {"cv", 0.5}}}};
  for (double p : p50s) r["rounds"].push_back({{"p50", p}, {"samples", {p}}});
  return {{"points", {r}}};
}

TEST(CompareRounds, BandIsKTimesTheRoundsStandardErrors) {
  // p50s 9.8, 10, 10.2: sd 0.2, mean 10, CV 2%, standard error 2% / sqrt(3) in each file.
  const nlohmann::json base = with_rounds({9.8, 10, 10.2}, 10), fresh = with_rounds({9.8, 10, 10.2}, 10.1);
  const Comparison c = compare_results(base, fresh, 0, 3);
  ASSERT_EQ(c.points.size(), 1u);
  const double se = 0.02 / std::sqrt(3.0);
  EXPECT_NEAR(*c.points[0].band_pct, 3 * std::sqrt(2 * se * se) * 100, 1e-9);
  // One round: time_ms.cv (0.5) as before rounds.
  const Comparison one = compare_results(with_rounds({10}, 10), with_rounds({10}, 10.1), 0, 3);
  EXPECT_NEAR(*one.points[0].band_pct, 3 * std::sqrt(0.5) * 100, 1e-9);
}

}  // namespace
}  // namespace cpb
