// Summary statistics of timing samples.
#pragma once

#include <vector>

#include <nlohmann/json.hpp>

namespace cpb {

struct Stats {
  int n = 0;
  double p50 = 0, p10 = 0, p90 = 0, min = 0, max = 0, mean = 0;
  double cv = 0;  // coefficient of variation: sample standard deviation / mean
};

// Percentiles by linear interpolation between order statistics. n == 0 -> all zero.
Stats summarize(std::vector<double> samples);

// The statistics of a point timed in rounds (one timed loop per round; `rounds` holds
// each round's samples): p50 is the median of the rounds' p50s (for two rounds their
// mean), which one drifting round cannot move far; n, p10, p90, min, max, mean and cv are
// over all rounds' samples pooled, so cv includes the spread between rounds. One round:
// summarize() of its samples. No rounds: all zero.
Stats summarize_rounds(const std::vector<std::vector<double>>& rounds);
nlohmann::json to_json(const Stats& s);  // {"p50","p10","p90","min","max","mean","cv","n"}
// nlohmann ADL conversions of the same object; from_json reads a null number as NaN.
void to_json(nlohmann::json& j, const Stats& s);
void from_json(const nlohmann::json& j, Stats& s);

// A double of a record as nlohmann reads it back: null (how it writes a NaN or an
// infinity) as NaN.
double json_number(const nlohmann::json& v);

}  // namespace cpb
