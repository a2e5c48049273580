// The bootstrap intervals of intervals.hpp on synthetic rounds: the interval of a ratio of
// two points drawn from the same distribution holds 1 about as often as its level says,
// a 10% shift with low noise is left out of it, the resampling is deterministic, and the
// tables' text and the significance mark follow the interval.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "bench/report/intervals.hpp"
#include "bench/report/stats.hpp"

namespace cpb {
namespace {

// Normal deviates from the raw mt19937_64 stream (whose output the standard fixes; its
// distributions are not), by Box-Muller.
class Noise {
 public:
  explicit Noise(uint64_t seed) : gen_(seed) {}
  double normal() {
    const double u1 = (static_cast<double>(gen_() >> 11) + 0.5) / 9007199254740992.0;
    const double u2 = static_cast<double>(gen_() >> 11) / 9007199254740992.0;
    return std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::mt19937_64 gen_;
};

// R rounds of n samples: base * (1 + drift_r) * (1 + noise), drift_r shared by the points
// of one run when `drifts` is given (what rotating the order within a group aims at).
RoundSamples rounds_of(double base, const std::vector<double>& drifts, int n, double noise_sd, Noise& rng) {
  RoundSamples r;
  for (double d : drifts) {
    std::vector<double> s;
    for (int i = 0; i < n; ++i) s.push_back(base * (1 + d) * (1 + noise_sd * rng.normal()));
    r.push_back(s);
  }
  return r;
}

std::vector<double> drifts(int rounds, double sd, Noise& rng) {
  std::vector<double> d;
  for (int i = 0; i < rounds; ++i) d.push_back(sd * rng.normal());
  return d;
}

TEST(Intervals, MedianOfRoundsIsTheMedianOfTheRoundsMedians) {
  const RoundSamples r = {{1, 2, 3}, {10, 20, 30, 40}, {5}};
  EXPECT_DOUBLE_EQ(median_of_rounds(r), 5.0);  // medians 2, 25, 5
  EXPECT_DOUBLE_EQ(median_of_rounds({{4, 1}, {}}), 2.5);
  EXPECT_EQ(median_of_rounds({}), 0);
  EXPECT_DOUBLE_EQ(summarize_rounds(r).p50, 5.0);  // stats.hpp agrees
  EXPECT_EQ(summarize_rounds(r).n, 8);
  EXPECT_DOUBLE_EQ(summarize_rounds(r).min, 1.0);
  EXPECT_DOUBLE_EQ(summarize_rounds({{1, 2, 3}, {5, 6, 7}}).p50, 4.0);  // two rounds: their mean
}

TEST(Intervals, SameDistributionsGiveIntervalsHoldingOneAtAboutTheLevel) {
  Noise rng(16);
  int hold = 0;
  const int trials = 200;
  for (int t = 0; t < trials; ++t) {
    const std::vector<double> d = drifts(3, 0.01, rng);  // 1% drift, shared: paired rounds
    const RoundSamples a = rounds_of(20, d, 10, 0.01, rng), b = rounds_of(20, d, 10, 0.01, rng);
    const auto ci = ratio_interval(a, b, BootstrapSettings{500, 0.95, 7});
    ASSERT_TRUE(ci);
    EXPECT_LT(ci->lo, ci->hi);
    if (ci->contains(1.0)) ++hold;
  }
  // The nominal level is 95%; a percentile bootstrap of 3 rounds of 10 covers a little less.
  EXPECT_GE(hold, trials * 85 / 100) << hold << " of " << trials;
  EXPECT_LT(hold, trials) << "intervals that always hold 1 are too wide to tell anything";
}

TEST(Intervals, TenPercentShiftWithLowNoiseLeavesOneOut) {
  Noise rng(17);
  for (int t = 0; t < 50; ++t) {
    const std::vector<double> d = drifts(3, 0.005, rng);
    const RoundSamples slow = rounds_of(22, d, 10, 0.01, rng), fast = rounds_of(20, d, 10, 0.01, rng);
    const auto ci = ratio_interval(slow, fast);
    ASSERT_TRUE(ci);
    EXPECT_FALSE(ci->contains(1.0)) << ci->lo << " " << ci->hi;
    EXPECT_TRUE(ci->contains(median_of_rounds(slow) / median_of_rounds(fast)));
    EXPECT_TRUE(significant_ratio(ci));
  }
}

TEST(Intervals, DriftCommonToBothPointsCancelsInThePairedRatio) {
  // Rounds 10% apart hit both points alike: the ratio stays near 1.1 and its interval
  // narrow, while the time's own interval spans the drift.
  Noise rng(18);
  const std::vector<double> d = {-0.1, 0.0, 0.1};
  const RoundSamples a = rounds_of(22, d, 10, 0.002, rng), b = rounds_of(20, d, 10, 0.002, rng);
  const auto ratio = ratio_interval(a, b);
  const auto time = figure_interval({PointRounds{a}}, [](const auto& at) { return std::optional<double>(at[0][0]); });
  ASSERT_TRUE(ratio && time);
  EXPECT_LT(ratio->hi - ratio->lo, 0.02);
  EXPECT_TRUE(ratio->contains(1.1));
  EXPECT_GT((time->hi - time->lo) / 22, 0.1);
}

TEST(Intervals, DeterministicForOneSeed) {
  Noise rng(19);
  const std::vector<double> d = drifts(3, 0.01, rng);
  const RoundSamples a = rounds_of(10, d, 8, 0.02, rng), b = rounds_of(11, d, 8, 0.02, rng);
  const auto x = ratio_interval(a, b), y = ratio_interval(a, b);
  ASSERT_TRUE(x && y);
  EXPECT_EQ(x->lo, y->lo);
  EXPECT_EQ(x->hi, y->hi);
  const auto other = ratio_interval(a, b, BootstrapSettings{2000, 0.95, 12345});
  ASSERT_TRUE(other);
  EXPECT_TRUE(other->lo != x->lo || other->hi != x->hi);
}

TEST(Intervals, UnpairedWhenTheRoundCountsDiffer) {
  Noise rng(20);
  const RoundSamples a = rounds_of(20, {0, 0, 0}, 10, 0.01, rng), b = rounds_of(10, {0}, 10, 0.01, rng);
  const auto ci = ratio_interval(a, b);
  ASSERT_TRUE(ci);
  EXPECT_TRUE(ci->contains(median_of_rounds(a) / median_of_rounds(b)));
}

TEST(Intervals, NoRoundsNoInterval) {
  EXPECT_FALSE(ratio_interval({}, {{1, 2}}));
  EXPECT_FALSE(ratio_interval({{1, 2}}, {{}, {}}));
  const Figure first = [](const std::vector<std::vector<double>>& at) { return std::optional<double>(at[0][0]); };
  EXPECT_FALSE(figure_interval({}, first));
  EXPECT_FALSE(figure_interval({PointRounds{{{1, 2}}, {{}}}}, first)) << "its only round lacks a part's samples";
}

// A point's series are drawn by the same round indices: with the loop and a part equal in
// every round and one sample each, their difference is 0 in every resample, while the
// rounds differ by a lot.
TEST(Intervals, APointsSeriesArePairedByRound) {
  const RoundSamples t = {{10}, {20}, {30}};
  const Figure difference = [](const std::vector<std::vector<double>>& at) {
    return std::optional<double>(at[0][0] - at[0][1]);
  };
  const auto same = figure_interval({PointRounds{t, t}}, difference);
  ASSERT_TRUE(same);
  EXPECT_EQ(same->lo, 0);
  EXPECT_EQ(same->hi, 0);
  // Two points with as many rounds are paired too; an undefined figure leaves a resample out.
  const Figure ratio = [](const std::vector<std::vector<double>>& at) -> std::optional<double> {
    if (at[0][0] > 25) return std::nullopt;
    return at[0][0] / at[1][0];
  };
  const auto paired = figure_interval({PointRounds{t}, PointRounds{t}}, ratio);
  ASSERT_TRUE(paired);
  EXPECT_EQ(paired->lo, 1);
  EXPECT_EQ(paired->hi, 1);
  EXPECT_FALSE(figure_interval({PointRounds{t}}, [](const auto&) { return std::optional<double>(); }));
}

// Points paired by round index keep the rounds every one of them has full: round k is drawn
// with round k, never with the round at the same position among another point's full ones.
TEST(Intervals, PointsArePairedByRoundIndexOverTheRoundsAllHaveFull) {
  const RoundSamples t = {{10}, {20}, {30}};
  const Figure difference = [](const std::vector<std::vector<double>>& at) {
    return std::optional<double>(at[0][0] - at[1][0]);
  };
  // One point lacks round 2's part: rounds 1 and 3 of each, drawn together.
  const PointRounds full = {t, {{1}, {2}, {3}}}, no_second = {t, {{1}, {}, {3}}};
  const auto one = figure_interval({full, no_second}, difference);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->lo, 0);
  EXPECT_EQ(one->hi, 0);
  // One lacks round 3's, the other round 2's: round 1 alone, not rounds 1 2 with 1 3.
  const PointRounds no_third = {t, {{1}, {2}, {}}};
  const auto both = figure_interval({no_third, no_second}, difference);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->lo, 0);
  EXPECT_EQ(both->hi, 0);
  const Figure first = [](const std::vector<std::vector<double>>& at) { return std::optional<double>(at[0][0]); };
  const auto only_round_1 = figure_interval({no_third, no_second}, first);
  ASSERT_TRUE(only_round_1);
  EXPECT_EQ(only_round_1->lo, 10);
  EXPECT_EQ(only_round_1->hi, 10);
  // No round full in both: no interval.
  EXPECT_FALSE(figure_interval({PointRounds{t, {{1}, {}, {}}}, PointRounds{t, {{}, {2}, {3}}}}, difference));
}

// figure_intervals gives each figure the interval figure_interval gives it alone.
TEST(Intervals, SeveralFiguresInOnePassMatchEachAlone) {
  Noise rng(5);
  const RoundSamples a = rounds_of(20, {-0.05, 0.0, 0.05}, 10, 0.02, rng);
  const Figure time = [](const std::vector<std::vector<double>>& at) { return std::optional<double>(at[0][0]); };
  const Figure half = [](const std::vector<std::vector<double>>& at) -> std::optional<double> {
    if (at[0][0] > 20.5) return std::nullopt;
    return at[0][0] / 2;
  };
  const std::vector<std::optional<Interval>> both = figure_intervals({PointRounds{a}}, {time, half});
  ASSERT_EQ(both.size(), 2u);
  const auto t = figure_interval({PointRounds{a}}, time), h = figure_interval({PointRounds{a}}, half);
  ASSERT_TRUE(both[0] && both[1] && t && h);
  EXPECT_EQ(both[0]->lo, t->lo);
  EXPECT_EQ(both[0]->hi, t->hi);
  EXPECT_EQ(both[1]->lo, h->lo);
  EXPECT_EQ(both[1]->hi, h->hi);
}

TEST(Intervals, TextAndSignificance) {
  EXPECT_EQ(format_with_interval(1.04, Interval{0.99, 1.08}, true), "1.04 [0.99, 1.08]~");
  EXPECT_EQ(format_with_interval(1.12, Interval{1.05, 1.2}, true), "1.12 [1.05, 1.20]");
  EXPECT_EQ(format_with_interval(0.9, Interval{0.85, 0.95}, true), "0.90 [0.85, 0.95]");
  EXPECT_EQ(format_with_interval(0.5, Interval{0.2, 1.5}, false), "0.50 [0.20, 1.50]");  // eta: no mark
  EXPECT_EQ(format_with_interval(1.04, std::nullopt, true), "1.04");
  EXPECT_FALSE(significant_ratio(std::nullopt));
  const nlohmann::json j = {{"lo", 0.5}, {"hi", 0.7}};
  ASSERT_TRUE(read_interval(&j));
  EXPECT_EQ(read_interval(&j)->hi, 0.7);
  const nlohmann::json half = {{"lo", 0.5}, {"hi", nullptr}};
  EXPECT_FALSE(read_interval(&half));
  EXPECT_FALSE(read_interval(nullptr));
}

}  // namespace
}  // namespace cpb
