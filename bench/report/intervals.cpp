#include "bench/report/intervals.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace cpb {
namespace {

// splitmix64: a small generator whose stream is the same on every platform (the standard
// distributions are not).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return static_cast<size_t>(next() % n); }  // bias < n / 2^64

 private:
  uint64_t state_;
};

// The median as summarize() computes p50: the mean of the middle two for an even count.
// Reorders `v`. Precondition: v is not empty.
double median_in_place(std::vector<double>& v) {
  const size_t mid = v.size() / 2;
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid), v.end());
  const double upper = v[mid];
  if (v.size() % 2 == 1) return upper;
  const double lower = *std::max_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(mid));
  return (lower + upper) / 2;
}

// Whether round `r` of `p` has samples in every series of `p`.
bool full_round(const PointRounds& p, size_t r) {
  for (const RoundSamples& s : p)
    if (r >= s.size() || s[r].empty()) return false;
  return true;
}

// The rounds of `p` at indices `rounds`, in every series.
PointRounds select_rounds(const PointRounds& p, const std::vector<size_t>& rounds) {
  PointRounds kept(p.size());
  for (size_t j = 0; j < p.size(); ++j)
    for (size_t r : rounds) kept[j].push_back(p[j][r]);
  return kept;
}

size_t round_count(const PointRounds& p) { return p.empty() ? 0 : p.front().size(); }

// One resample of a point: the median over the drawn rounds of the median of each drawn
// round's resampled iterations.
class Resampler {
 public:
  explicit Resampler(const RoundSamples& rounds) : rounds_(rounds) {}
  double draw(const std::vector<size_t>& picks, Rng& rng) {
    medians_.clear();
    for (size_t r : picks) {
      const std::vector<double>& s = rounds_[r];
      buf_.resize(s.size());
      for (double& x : buf_) x = s[rng.below(s.size())];
      medians_.push_back(median_in_place(buf_));
    }
    return median_in_place(medians_);
  }

 private:
  const RoundSamples& rounds_;
  std::vector<double> buf_, medians_;
};

void pick_rounds(size_t n, Rng& rng, std::vector<size_t>& picks) {
  picks.resize(n);
  for (size_t& p : picks) p = rng.below(n);
}

// The level's central interval of `stats` (sorted here), by interpolated percentiles.
Interval central(std::vector<double>& stats, double level) {
  std::sort(stats.begin(), stats.end());
  const auto at = [&stats](double q) {
    const double pos = q * static_cast<double>(stats.size() - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const size_t hi = std::min(lo + 1, stats.size() - 1);
    return stats[lo] + (pos - static_cast<double>(lo)) * (stats[hi] - stats[lo]);
  };
  return Interval{at((1 - level) / 2), at((1 + level) / 2)};
}

}  // namespace

double median_of_rounds(const RoundSamples& rounds) {
  std::vector<double> medians;
  for (auto r : rounds)
    if (!r.empty()) medians.push_back(median_in_place(r));
  return medians.empty() ? 0 : median_in_place(medians);
}

std::vector<std::optional<Interval>> figure_intervals(const std::vector<PointRounds>& points,
                                                      const std::vector<Figure>& figures,
                                                      const BootstrapSettings& settings) {
  std::vector<std::optional<Interval>> none(figures.size());
  if (points.empty() || settings.resamples < 1) return none;
  // Round r of the points with as many rounds as the first (`paired`) is the same round of
  // the sweep: they keep the rounds every one of them has full. The others keep their own.
  const size_t first_rounds = round_count(points.front());
  std::vector<bool> paired(points.size());
  std::vector<size_t> common;
  for (size_t p = 0; p < points.size(); ++p) paired[p] = round_count(points[p]) == first_rounds;
  for (size_t r = 0; r < first_rounds; ++r) {
    bool full = true;
    for (size_t p = 0; p < points.size(); ++p) full = full && (!paired[p] || full_round(points[p], r));
    if (full) common.push_back(r);
  }
  std::vector<PointRounds> kept;
  for (size_t p = 0; p < points.size(); ++p) {
    std::vector<size_t> own;
    if (!paired[p])
      for (size_t r = 0; r < round_count(points[p]); ++r)
        if (full_round(points[p], r)) own.push_back(r);
    kept.push_back(select_rounds(points[p], paired[p] ? common : own));
    if (kept.back().empty() || kept.back().front().empty()) return none;
  }
  std::vector<std::vector<Resampler>> series(kept.size());  // [point][series], over `kept`
  for (size_t i = 0; i < kept.size(); ++i)
    for (const RoundSamples& s : kept[i]) series[i].emplace_back(s);
  Rng rng(settings.seed);
  std::vector<std::vector<size_t>> picks(kept.size());
  std::vector<std::vector<double>> at(kept.size());
  std::vector<std::vector<double>> stats(figures.size());  // [figure]
  for (int i = 0; i < settings.resamples; ++i) {
    for (size_t p = 0; p < kept.size(); ++p) {
      if (p > 0 && paired[p])
        picks[p] = picks.front();
      else
        pick_rounds(kept[p].front().size(), rng, picks[p]);
    }
    for (size_t p = 0; p < kept.size(); ++p) {
      at[p].clear();
      for (Resampler& s : series[p]) at[p].push_back(s.draw(picks[p], rng));
    }
    for (size_t f = 0; f < figures.size(); ++f)
      if (const std::optional<double> v = figures[f](at); v && std::isfinite(*v)) stats[f].push_back(*v);
  }
  std::vector<std::optional<Interval>> out(figures.size());
  for (size_t f = 0; f < figures.size(); ++f)
    if (!stats[f].empty()) out[f] = central(stats[f], settings.level);
  return out;
}

std::optional<Interval> figure_interval(const std::vector<PointRounds>& points, const Figure& figure,
                                        const BootstrapSettings& settings) {
  return figure_intervals(points, {figure}, settings).front();
}

std::optional<Interval> ratio_interval(const RoundSamples& num, const RoundSamples& den,
                                       const BootstrapSettings& settings) {
  const auto ratio = [](const std::vector<std::vector<double>>& at) -> std::optional<double> {
    if (!(at[1][0] > 0)) return std::nullopt;
    return at[0][0] / at[1][0];
  };
  return figure_interval({PointRounds{num}, PointRounds{den}}, ratio, settings);
}

std::optional<Interval> read_interval(const nlohmann::json* j) {
  if (!j || !j->is_object()) return std::nullopt;
  const auto end = [j](const char* key) -> std::optional<double> {
    const auto it = j->find(key);
    if (it == j->end() || !it->is_number() || !std::isfinite(it->get<double>())) return std::nullopt;
    return it->get<double>();
  };
  const auto lo = end("lo"), hi = end("hi");
  if (!lo || !hi) return std::nullopt;
  return Interval{*lo, *hi};
}

bool significant_ratio(const std::optional<Interval>& ci) { return ci && !ci->contains(1.0); }

std::string format_with_interval(double value, const std::optional<Interval>& ci, bool ratio) {
  char buf[96];
  if (!ci) {
    std::snprintf(buf, sizeof(buf), "%.2f", value);
    return buf;
  }
  std::snprintf(buf, sizeof(buf), "%.2f [%.2f, %.2f]", value, ci->lo, ci->hi);
  return ratio && !significant_ratio(ci) ? std::string(buf) + kNotSignificant : std::string(buf);
}

}  // namespace cpb
