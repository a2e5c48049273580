#include "bench/report/stats.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace cpb {
namespace {
double percentile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}
}  // namespace

Stats summarize(std::vector<double> samples) {
  Stats s;
  s.n = static_cast<int>(samples.size());
  if (samples.empty()) return s;
  std::sort(samples.begin(), samples.end());
  s.p50 = percentile(samples, 0.5);
  s.p10 = percentile(samples, 0.1);
  s.p90 = percentile(samples, 0.9);
  s.min = samples.front();
  s.max = samples.back();
  double sum = 0;
  for (double x : samples) sum += x;
  s.mean = sum / s.n;
  if (s.n > 1 && s.mean > 0) {
    double ss = 0;
    for (double x : samples) ss += (x - s.mean) * (x - s.mean);
    s.cv = std::sqrt(ss / (s.n - 1)) / s.mean;
  }
  return s;
}

Stats summarize_rounds(const std::vector<std::vector<double>>& rounds) {
  std::vector<double> pooled, medians;
  for (const auto& r : rounds) {
    pooled.insert(pooled.end(), r.begin(), r.end());
    if (!r.empty()) medians.push_back(summarize(r).p50);
  }
  Stats s = summarize(std::move(pooled));
  if (!medians.empty()) s.p50 = summarize(std::move(medians)).p50;
  return s;
}

nlohmann::json to_json(const Stats& s) {
  return {{"p50", s.p50}, {"p10", s.p10}, {"p90", s.p90}, {"min", s.min},
          {"max", s.max}, {"mean", s.mean}, {"cv", s.cv},   {"n", s.n}};
}

void to_json(nlohmann::json& j, const Stats& s) { j = to_json(s); }

double json_number(const nlohmann::json& v) {
  return v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>();
}

void from_json(const nlohmann::json& j, Stats& s) {
  const auto number = [&j](const char* key) { return json_number(j.at(key)); };
  s.n = j.at("n").get<int>();
  s.p50 = number("p50");
  s.p10 = number("p10");
  s.p90 = number("p90");
  s.min = number("min");
  s.max = number("max");
  s.mean = number("mean");
  s.cv = number("cv");
}

}  // namespace cpb
