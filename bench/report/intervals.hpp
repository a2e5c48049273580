// 95% intervals of the figures a sweep derives from timed rounds (docs/METRICS.md,
// "Intervals"): a two-level bootstrap that resamples the rounds, paired between the
// points of a figure (round r of one with round r of the other: they ran minutes apart at
// most, in rotated order, so drift hits both alike) and between a point's loop and its
// parts (timed right after that round's loop), and within each drawn round the
// iterations of each. Seeded: the same samples give the same interval everywhere.
#pragma once

#include <cstdint>
#include <functional>
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

// A point's rounds as the bootstrap resamples them: one or more series (its timed loop's
// samples, each part's), each with one vector of samples per round, all with as many
// rounds: round k of every series is the point's round k. A round of a single sample
// resamples to that value: a part known only as one number enters as exact.
using PointRounds = std::vector<RoundSamples>;

// A figure of points' statistics: at[i][j] is, for point i's series j, the median over
// rounds of the rounds' medians (median_of_rounds, as the point estimates are taken).
// nullopt where the figure is undefined; such resamples are left out.
using Figure = std::function<std::optional<double>(const std::vector<std::vector<double>>& at)>;

// The interval of `figure` over `points`. The points with as many rounds as the first are
// paired by round index (round k of each is the sweep's round k): they keep the rounds in
// which every series of every one of them has samples, so round k is drawn with round k.
// Any other point keeps its own rounds in which each of its series has samples. Each
// resample draws, for each point, R round indices with replacement (R = its kept rounds;
// the same indices for the paired points, else drawn for the point alone), the same for
// all of a point's series; then, for every
// drawn round and series, that round's samples with replacement and their median; the
// statistic is `figure` of the medians of those medians. The interval is the
// (1-level)/2 and (1+level)/2 percentiles of the finite statistics. nullopt when a point
// has no round left or no resample gives a figure.
std::optional<Interval> figure_interval(const std::vector<PointRounds>& points, const Figure& figure,
                                        const BootstrapSettings& settings = {});

// figure_interval of each of `figures` over the same resamples (one pass: each interval is
// the one figure_interval gives it alone), in the order of `figures`.
std::vector<std::optional<Interval>> figure_intervals(const std::vector<PointRounds>& points,
                                                      const std::vector<Figure>& figures,
                                                      const BootstrapSettings& settings = {});

// The interval of median_of_rounds(num) / median_of_rounds(den) (a speedup: the
// reference's time over the row's): figure_interval of the two points, paired when they
// have as many rounds. nullopt when either has no round with samples.
std::optional<Interval> ratio_interval(const RoundSamples& num, const RoundSamples& den,
                                       const BootstrapSettings& settings = {});

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
