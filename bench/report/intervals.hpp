// 95% intervals of the figures a sweep derives from timed rounds (docs/METRICS.md,
// "Intervals"): a two-level bootstrap that resamples the rounds, paired between the two
// points of a ratio (round r of one with round r of the other: they ran minutes apart at
// most, in rotated order, so drift hits both alike), and within each drawn round the
// iterations of each point. Seeded: the same samples give the same interval everywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace cpb {

// The samples of a point's rounds [ms]: one vector per round, in round order.
using RoundSamples = std::vector<std::vector<double>>;

struct Interval {
  double lo = 0, hi = 0;
  bool contains(double x) const { return lo <= x && x <= hi; }
};

struct BootstrapSettings {
  int resamples = 2000;
  double level = 0.95;  // the central share of the resampled statistics the interval holds
  uint64_t seed = 0x6370626e63683136ULL;
};

// The point estimate of a point's time: the median of its rounds' medians (stats.hpp
// summarize_rounds p50). 0 when no round has samples.
double median_of_rounds(const RoundSamples& rounds);

// The interval of median_of_rounds(num) / median_of_rounds(den) (a speedup: the
// reference's time over the row's). Each resample draws R round indices with replacement
// (R = the rounds of each; the same indices for both when they have as many rounds, else
// drawn for each alone), then for every drawn round resamples that round's iterations with
// replacement and takes their median; the statistic is the median of those medians of
// `num` over that of `den`. The interval is the (1-level)/2 and (1+level)/2 percentiles of
// the statistic. nullopt when either has no round with samples.
std::optional<Interval> ratio_interval(const RoundSamples& num, const RoundSamples& den,
                                       const BootstrapSettings& settings = {});

// The interval of median_of_rounds(rounds) by the same resampling, for figures that are a
// monotone function of one point's time (eta). nullopt when no round has samples.
std::optional<Interval> time_interval(const RoundSamples& rounds, const BootstrapSettings& settings = {});

// An interval as the result file holds it, {"lo": x, "hi": y}; nullopt when `j` is null,
// not such an object or an end is not a finite number.
std::optional<Interval> read_interval(const nlohmann::json* j);

// Whether a speedup is significant: its interval leaves out 1.0 (both ends above or
// both below). Without an interval it is not known: false.
bool significant_ratio(const std::optional<Interval>& ci);

// The tables' text of a figure with its interval, two decimals: "1.04 [0.99, 1.08]"; just
// "1.04" without an interval. With `ratio`, the mark kNotSignificant follows a speedup
// whose interval contains 1.0: "1.04 [0.99, 1.08]~".
std::string format_with_interval(double value, const std::optional<Interval>& ci, bool ratio);

// The mark of a speedup whose 95% interval contains 1.0 (not significant).
constexpr const char* kNotSignificant = "~";

}  // namespace cpb
